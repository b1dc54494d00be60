from django.urls import path

from . import views

app_name = "corpus"

urlpatterns = [
    path("", views.imports, name="imports"),
    path("<int:import_id>/undo/", views.undo, name="import_undo"),
]
