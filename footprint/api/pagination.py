"""Cursor pagination for the large, growing lists (stable under inserts, no COUNT); page numbers elsewhere."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination


class SafeCursorPagination(CursorPagination):
    """A cursor whose position does not fit the ordering field (tampered with, or made under another
    ``ordering``) is DRF's "Invalid cursor" 404, not a database error."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError):
            raise NotFound(self.invalid_cursor_message) from None


class DeploymentCursorPagination(SafeCursorPagination):
    ordering = ("id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class RevisionAsOfCursorPagination(DeploymentCursorPagination):
    ordering = ("deployment_id", "id")


class RevisionCursorPagination(DeploymentCursorPagination):
    ordering = ("valid_from", "id")


class CrawlRunCursorPagination(DeploymentCursorPagination):
    ordering = ("-started_at", "-id")


class FindingCursorPagination(DeploymentCursorPagination):
    """Ordering comes from the view's ``ordering`` parameter (``FindingOrderingFilter``)."""

    ordering = ("-impact_sort", "-severity_rank", "id")


class StandardPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
