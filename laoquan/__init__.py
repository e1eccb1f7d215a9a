"""劳权通 (laoquan). For LangChain: ``laoquan.as_retriever(province=…, as_of=…)`` and
``laoquan.as_runnable()`` (:mod:`laoquan.langchain_adapters`, imported on first use so the CLI does
not pay for LangChain)."""

__all__ = ["as_retriever", "as_runnable"]


def __getattr__(name: str):
    if name in __all__:
        from laoquan import langchain_adapters

        return getattr(langchain_adapters, name)
    raise AttributeError(f"module 'laoquan' has no attribute {name!r}")
