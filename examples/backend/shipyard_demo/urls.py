"""The example backend's routes: a health check and one JSON API endpoint."""

from django.urls import path

from shipyard_demo import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("api/info/", views.info, name="info"),
]
