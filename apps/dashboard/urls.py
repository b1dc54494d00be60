from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("live/texts/", views.home_live, name="home_live"),
    path("live/dashboard/", views.home_refresh, name="home_refresh"),
    path("texts/", views.texts, name="texts"),
    path("texts/<int:text_id>/", views.text_detail, name="text"),
    path("texts/<int:text_id>/correct/", views.text_correct, name="text_correct"),
    path("search/", views.search, name="search"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry, name="job_retry"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
    path("status/", views.status, name="status"),
    path("status/llm/", views.llm_status, name="llm_status"),
    path("settings/", views.workspace_settings, name="settings"),
    path("workspace/switch/", views.switch_workspace, name="switch_workspace"),
]
