"""The provider form. The client secret is write-only: never rendered back."""

from __future__ import annotations

from typing import Any

from authlib.common.security import is_secure_transport
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_SCOPES, ProviderKind, ProviderPortals, SSOProvider
from .services import ProviderSettings

SUGGESTED_ISSUERS = {
    ProviderKind.GOOGLE: "https://accounts.google.com",
    ProviderKind.MICROSOFT: "https://login.microsoftonline.com/<tenant-id>/v2.0",
}


class ProviderForm(forms.Form):
    name = forms.CharField(
        max_length=100, label=_("Name"), help_text=_("Shown on the button: “Sign in with …”.")
    )
    slug = forms.SlugField(
        max_length=50,
        label=_("Slug"),
        help_text=_("Part of the callback URL and of the audit method “sso:&lt;slug&gt;”."),
    )
    kind = forms.ChoiceField(
        choices=ProviderKind.choices, initial=ProviderKind.CUSTOM, label=_("Kind")
    )
    issuer = forms.URLField(
        max_length=500,
        label=_("Issuer or discovery URL"),
        help_text=_(
            "For example https://accounts.google.com, or "
            "https://login.microsoftonline.com/&lt;tenant-id&gt;/v2.0 for Microsoft."
        ),
        assume_scheme="https",
    )
    client_id = forms.CharField(max_length=255, label=_("Client ID"))
    client_secret = forms.CharField(
        max_length=1000,
        required=False,
        label=_("Client secret"),
        # render_value=False: the stored secret never travels back to a browser.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty for a public client (PKCE only)."),
        strip=True,
    )
    scopes = forms.CharField(max_length=255, initial=DEFAULT_SCOPES, label=_("Scopes"))
    portals = forms.ChoiceField(
        choices=ProviderPortals.choices, initial=ProviderPortals.BOTH, label=_("Show the button on")
    )
    enabled = forms.BooleanField(required=False, initial=True, label=_("Enabled"))

    def __init__(self, *args: Any, instance: SSOProvider | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    field: getattr(instance, field)
                    for field in ProviderSettings.__dataclass_fields__
                },
            )
        super().__init__(*args, **kwargs)
        if instance is not None and instance.has_client_secret:
            self.fields["client_secret"].help_text = _(
                "A secret is stored (encrypted). Leave empty to keep it; type a new one to "
                "replace it."
            )

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).lower()
        clash = SSOProvider.objects.filter(slug=slug)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another provider uses this slug."))
        return slug

    def clean_issuer(self) -> str:
        issuer = str(self.cleaned_data["issuer"]).strip()
        # Tokens and secrets must not cross the network in clear; plain http is
        # accepted only for a provider on this machine (the local test provider).
        if not is_secure_transport(issuer):
            raise forms.ValidationError(_("Use an https:// URL (http only for 127.0.0.1)."))
        if "<" in issuer or "%3C" in issuer:
            raise forms.ValidationError(_("Replace the placeholder with your tenant ID."))
        return issuer

    def clean_scopes(self) -> str:
        scopes = str(self.cleaned_data["scopes"]).split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        if "email" not in scopes:
            # Accounts are linked by e-mail: without this scope there is none.
            scopes.append("email")
        return " ".join(scopes)

    def provider_settings(self) -> ProviderSettings:
        data = self.cleaned_data
        return ProviderSettings(
            name=data["name"],
            slug=data["slug"],
            kind=data["kind"],
            issuer=data["issuer"],
            client_id=data["client_id"],
            scopes=data["scopes"],
            portals=data["portals"],
            enabled=bool(data["enabled"]),
        )

    def new_client_secret(self) -> str | None:
        """None keeps the stored secret (an empty field on edit)."""
        secret = str(self.cleaned_data.get("client_secret") or "")
        if self.instance is not None and not secret:
            return None
        return secret
