"""Cursor pagination for the large, growing lists (stable under inserts, no COUNT); page numbers elsewhere."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class DeploymentCursorPagination(CursorPagination):
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


class StandardPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
