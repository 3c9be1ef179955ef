from django.urls import path

from footprint.costs import views

app_name = "costs"
urlpatterns = [
    path("", views.cost_report, name="report"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
]
