"""Layer 2, data protection: children's data never leave identifiable.

- ``privacy``     identifier detection, pseudonyms, k-anonymous extracts
- ``disclosure``  suppression of small cells in every published table
"""

__all__ = ["disclosure", "privacy"]
