from django.urls import path

from . import views

app_name = "replies"

urlpatterns = [
    path("", views.home, name="home"),
    path("text/<int:text_id>/", views.text_replies, name="text"),
    path("policy/", views.policy, name="policy"),
]
