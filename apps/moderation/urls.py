from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/decide/", views.case_decide, name="decide"),
    path("cases/<int:case_id>/undo/", views.case_undo, name="undo"),
    path("cases/<int:case_id>/note/", views.case_note, name="note"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="assign"),
    path("bulk/", views.bulk, name="bulk"),
    path("screen-unchecked/", views.screen_unchecked, name="screen_unchecked"),
]
