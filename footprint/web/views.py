"""Dashboard pages: thin views over inventory selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from footprint.inventory.selectors import deployments_current

PAGE_SIZE = 200


@login_required
def inventory_list(request: HttpRequest) -> HttpResponse:
    """Live deployments, one page at a time: a count and one joined query, whatever the row count."""
    page = Paginator(deployments_current(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/inventory.html", {"page": page, "deployments": page.object_list})
