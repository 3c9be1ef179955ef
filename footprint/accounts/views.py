"""The user's API tokens: list, create (the secret is shown once, on the result page), revoke."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from footprint.accounts.models import ApiToken
from footprint.accounts.roles import user_roles, user_team_ids
from footprint.accounts.tokens import token_create, token_revoke

EXPIRY_CHOICES = [("", "Never"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. ci-export.")
    expires_in_days = forms.TypedChoiceField(choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False,
                                             label="Expires")


def _tokens_page(request: HttpRequest, form: TokenForm, *, status: int = 200) -> HttpResponse:
    team_ids = user_team_ids(request.user)
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "now": timezone.now(),
        "roles": sorted(user_roles(request.user)),
        "teams": (None if team_ids is None
                  else request.user.memberships.select_related("team").order_by("team__slug")),
    }
    return render(request, "accounts/tokens.html", context, status=status)


@never_cache
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    days = form.cleaned_data["expires_in_days"]
    expires_at = timezone.now() + timedelta(days=days) if days else None
    try:
        token, secret = token_create(user=request.user, name=form.cleaned_data["name"], expires_at=expires_at)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _tokens_page(request, form, status=400)
    # Rendered, not redirected: the secret exists only in this response (never stored, never in a URL).
    return render(request, "accounts/token_created.html", {"token": token, "secret": secret}, status=201)


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # someone else's token: 404
    token_revoke(token=token)
    messages.success(request, f"Token {token.name} ({token.prefix}…) revoked.")
    return redirect("accounts:tokens")
