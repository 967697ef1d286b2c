"""The molgen workbench: a Streamlit app over the molgen library (UI code only)."""
