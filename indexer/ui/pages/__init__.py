"""One module per page; each has ``render(lib, filters, k)``."""
from indexer.ui.pages import answer, compare, documents, export, search, topics

PAGES = {"search": search, "answer": answer, "topics": topics, "compare": compare, "export": export,
         "documents": documents}
