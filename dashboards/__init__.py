"""Dashboards layer: the Streamlit app (imports simulation/, never imported by it)."""
