from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("retention/", views.retention, name="retention"),
    path("erasure/", views.erasure_search, name="erasure_search"),
    path("erasure/<int:request_id>/", views.erasure_preview, name="erasure"),
    path("erasure/<int:request_id>/confirm/", views.erasure_confirm, name="erasure_confirm"),
    path("workspace/delete/", views.delete_workspace, name="delete_workspace"),
]
