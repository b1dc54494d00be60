from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.report, name="report"),
    path("live/", views.live, name="live"),
    path("<int:analysis_id>/", views.report, name="run"),
    path("<int:analysis_id>/live/", views.live, name="run_live"),
]
