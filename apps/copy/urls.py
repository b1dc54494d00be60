from django.urls import path

from . import views

app_name = "copy"

urlpatterns = [
    path("", views.studio, name="studio"),
    path("requests/", views.requests_table, name="requests"),
    path("<int:copy_id>/", views.request_detail, name="request"),
    path("ideas/<int:idea_set_id>/", views.ideas, name="ideas"),
]
