from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from apps.dashboard.views import healthz

from .api import api

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("insights/", include("apps.insights.urls")),
    path("moderation/", include("apps.moderation.urls")),
    path("copy/", include("apps.copy.urls")),
    path("imports/", include("apps.corpus.urls")),
    path("privacy/", include("apps.privacy.urls")),
    path("replies/", include("apps.replies.urls")),
    path("", include("apps.dashboard.urls")),
]

handler403 = "apps.dashboard.views.forbidden"
handler404 = "apps.dashboard.views.not_found"
handler500 = "apps.dashboard.views.server_error"
