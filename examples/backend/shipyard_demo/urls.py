"""The example backend's routes: a health check, a JSON API endpoint, and a
sign/verify pair that shows whether values signed before a key rotation still
verify after it."""

from django.urls import path

from shipyard_demo import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("api/info/", views.info, name="info"),
    path("api/sign/", views.sign, name="sign"),
    path("api/verify/", views.verify, name="verify"),
]
