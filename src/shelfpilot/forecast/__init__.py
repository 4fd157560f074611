"""Demand forecasting (with stock-out censoring and drivers) and expiry risk."""
