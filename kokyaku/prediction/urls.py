from django.urls import URLPattern, URLResolver, path

from kokyaku.prediction import views

app_name = "prediction"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.model, name="model"),
    path("backtest/", views.backtest, name="backtest"),
    path("accounts/<int:account_id>/deals/", views.account_deals, name="account_deals"),
]
