from django.urls import path

from . import views

app_name = "factories"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set-language"),
    path("factories/", views.factory_list, name="factory-list"),
    path("factories/<int:factory_id>/workers/", views.workers, name="workers"),
]
