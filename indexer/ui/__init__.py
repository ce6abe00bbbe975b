"""The Streamlit page (imported only by app.py): labels, session state, components, one module per page."""
