from django.urls import path

from footprint.actions import views

app_name = "actions"
urlpatterns = [
    path("", views.action_list, name="list"),
    path("new", views.action_new, name="new"),
    path("audit/", views.audit_list, name="audit"),
    path("<int:pk>/", views.action_detail, name="detail"),
    path("<int:pk>/<str:command>", views.action_command, name="command"),
]
