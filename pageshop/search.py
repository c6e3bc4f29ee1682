"""How the shop finds words fast at any size (issue 12, issue 11 item 8).

What is searched is kept a second time, folded: accents and case removed, so "macrame" finds
"Macramé" and "MULLER" finds "Müller" the same way on every database. That folded column is indexed
by trigrams, so "contains" needs no scan of every row: SQLite's FTS5 with its trigram tokenizer (a
table of its own, kept in step by triggers) and PostgreSQL's pg_trgm (a GIN index on the column).
A query matches when every word of it is contained in the folded text; words shorter than three
letters have no trigram and are compared directly. Only the newest MATCH_LIMIT matches are listed.
"""
from __future__ import annotations

import unicodedata

from sqlalchemy import DDL, Column, Select, Table, event, literal_column, select, text

from .extensions import db

# The searched tables: (table, its FTS5 table on SQLite).
SEARCHED_TABLES = {"products": "products_search", "orders": "orders_search"}
TRIGRAM_INDEXES = {f"ix_{table}_search_text" for table in SEARCHED_TABLES}
TRIGRAM = 3
# A search considers the newest this many (plus one) matches: enough to browse, and it tells
# "more than" from "exactly" (pageshop.listing.COUNT_LIMIT is the same).
MATCH_LIMIT = 1000


def fold(text_: str | None) -> str:
    """Lower case without accents, whitespace collapsed: "Macramé  Wall" -> "macrame wall"."""
    decomposed = unicodedata.normalize("NFKD", text_ or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def query_words(query: str | None) -> list[str]:
    """The folded words of a shopper's or merchant's query, each once."""
    return list(dict.fromkeys(fold(query).split()))


def matches(table: Table, words: list[str]):
    """The SQL condition "the row is one of the newest MATCH_LIMIT (plus one) rows whose folded text
    contains every word". The index is asked once, here, for their ids; the caller's query then
    looks the few up by key."""
    return table.c.id.in_(list(db.session.scalars(newest_matches(table, words))))


def newest_matches(table: Table, words: list[str], columns=(), conditions=()) -> Select:
    """The id (and `columns`) of the newest MATCH_LIMIT (plus one) rows that meet `conditions` and
    whose folded text contains every word, newest first, found through the index. A common word
    may match a tenth of the table: taking only the newest matches keeps a search's cost flat
    however large the table grows."""
    column: Column = table.c.search_text
    indexed = [word for word in words if len(word) >= TRIGRAM]
    if db.engine.dialect.name == "sqlite" and indexed:
        fts = SEARCHED_TABLES[table.name]
        # One FTS5 phrase per word, quoted: the words' own quotes and operators are letters.
        phrases = " ".join('"' + word.replace('"', '""') + '"' for word in indexed)
        rowid = literal_column("rowid")
        newest = (select(rowid).select_from(text(fts))
                  .where(text(f"{fts} MATCH :phrases").bindparams(phrases=phrases),
                         *(literal_column("search_text").contains(word, autoescape=True)
                           for word in words if len(word) < TRIGRAM))
                  .order_by(rowid.desc()).limit(MATCH_LIMIT + 1))
        return (select(table.c.id, *columns).where(table.c.id.in_(newest), *conditions)
                .order_by(table.c.id.desc()))
    # PostgreSQL's GIN index finds the rows of LIKE '%word%' ("id + 0": not by walking the primary
    # key newest first in search of a rare word).
    return (select(table.c.id, *columns)
            .where(*(column.contains(word, autoescape=True) for word in words), *conditions)
            .order_by((table.c.id + 0).desc()).limit(MATCH_LIMIT + 1))


# --- the indexes, created with the tables (db.create_all) and by the migration ------------------


def sqlite_index_statements(table: str) -> list[str]:
    """The FTS5 table over `table`.search_text and the triggers that keep it in step."""
    fts = SEARCHED_TABLES[table]
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    remove = (f"INSERT INTO {fts}({fts}, rowid, search_text) "
              f"VALUES ('delete', old.id, old.search_text);")
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF search_text ON {table} BEGIN {remove} {add} END",
    ]


def attach_indexes(metadata, tables: list[Table]) -> None:
    """Create the search indexes whenever the tables are created: pg_trgm before the tables on
    PostgreSQL (the GIN indexes are declared on the models), the FTS5 tables after them on SQLite
    (and dropped with them)."""
    event.listen(metadata, "before_create",
                 DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
    for table in tables:
        for statement in sqlite_index_statements(table.name):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
        event.listen(table, "before_drop", DDL(
            f"DROP TABLE IF EXISTS {SEARCHED_TABLES[table.name]}").execute_if(dialect="sqlite"))


def model_objects(dialect: str):
    """For comparing a database with the models (autogenerate, tests/test_migrations.py): what
    belongs to the comparison on this database. The FTS5 tables and their shadow tables are the
    search index, not models; the trigram indexes exist on PostgreSQL only."""
    fts_tables = tuple(SEARCHED_TABLES.values())

    def include(object_, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and name and name.startswith(fts_tables):
            return False
        if type_ == "index" and name in TRIGRAM_INDEXES and dialect != "postgresql":
            return False
        return True

    return include
