"""Lugang RAG (陆港问答): offline, cited question answering over Chinese regional-economy news.

Pipeline, one module per stage: corpus → chunking → embedding → index → retrieve → answer,
with kb (knowledge base = corpus + loaded index) for the CLI and the web app.
"""
__version__ = "0.1.0"
