"""custarchive: a command-line customer archive (客户档案) manager.

Layout: ``commands/`` parse options and render; the domain modules
(``archive``, ``values``, ``templates``, ``numbering``, ``changelog``…) do the
work on a SQLAlchemy connection and raise ``errors`` instead of printing.
"""

__version__ = "0.1.0"
