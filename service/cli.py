"""The `glossary` command: a thin click layer over the `index` library (and the service).

Settings come from the same place as the service's (`service.config.settings`), so every command
reads the index the service would serve: PostgreSQL when DATABASE_URL is set, else whoosh.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from index.backends import PassageIndex, index_exists, open_index
from index.corpus import Skipped, count_corpus_files, read_corpus
from index.errors import GlossaryInvalid, GlossaryServiceError
from index.glossary import Glossary, glossary_version, read_glossary_text
from index.library import Library
from index.matcher import leftmost_longest
from index.store import Store
from index.vocabulary import glossary_from_text, load_glossary, matcher_for
from service.config import settings


def _setting(
    flag: str, setting: str, shown: str, help: str, kind: click.Path | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option whose default is the service's setting (so the CLI reads what the service does)."""
    return click.option(
        flag, setting.lower(), type=kind, default=lambda: settings()[setting], show_default=shown, help=help
    )


GLOSSARY = _setting("--glossary", "GLOSSARY_PATH", "glossary.yaml", "The glossary file.", click.Path(dir_okay=False))
CORPUS = _setting("--corpus", "CORPUS_DIR", "corpus", "The folder of .md/.txt documents.", click.Path(file_okay=False))
INDEX = _setting("--index", "INDEX_DIR", "var/index", "The index folder.", click.Path(file_okay=False))
DATABASE = _setting("--database", "DATABASE_URL", "$DATABASE_URL", "Use PostgreSQL (postgresql://...), not whoosh.")
REVIEW = _setting("--review", "REVIEW_PATH", "review.yaml", "The curators' review file.", click.Path(dir_okay=False))


class _Commands(click.Group):
    """Expected failures (no index yet, bad glossary, unreadable files, unreachable database)
    end in one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GlossaryInvalid as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise SystemExit(1) from None
        except GlossaryServiceError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None


def _store(index_dir: str, database_url: str | None, glossary_path: str) -> Store:
    """A store over the index's current snapshot, with the glossary its postings were matched with."""
    store = Store(open_index(index_dir, database_url).snapshot())
    try:
        # Only the version is compared: no need to validate the file and build its matcher.
        file_version = glossary_version(read_glossary_text(glossary_path))
    except GlossaryServiceError:
        file_version = None  # `glossary check` reports it; the index's glossary still serves
    if file_version != store.glossary.version:
        click.echo(
            f"note: {glossary_path} differs from the glossary the index holds; run `glossary build` to re-match it",
            err=True,
        )
    return store


def _bar(quiet: bool, desc: str, unit: str = "doc") -> Any:
    return tqdm(total=None, unit=unit, disable=quiet, desc=desc)


def _progress(bar: Any) -> Any:
    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return update


@click.group(cls=_Commands)
@click.version_option("1.0.0", prog_name="glossary")
def main() -> None:
    """Glossary and term-tracking service: check, build, look up, annotate, serve."""


@main.command()
@REVIEW
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def check(review_path: str, file: str | None) -> None:
    """Validate a glossary file (with the review file's rejected matches, which its examples may
    rely on); list every problem with file, line, term and field."""
    path = file or settings()["GLOSSARY_PATH"]
    glossary = load_glossary(path, review_path=review_path)
    click.echo(f"{path}: {len(glossary)} terms, no problems (version {glossary.version})")


def _counts_line(index: PassageIndex, glossary: Glossary) -> str:
    with index.snapshot() as snap:
        counts = snap.counts()
    return f"{counts.documents} documents, {counts.passages} passages, {len(glossary)} terms"


@main.command()
@GLOSSARY
@REVIEW
@CORPUS
@INDEX
@DATABASE
@click.option("--rebuild", "full", is_flag=True, help="Build the whole index anew (aside, then switch to it).")
@click.option(
    "--procs", type=click.IntRange(1, 16), default=1, show_default=True, help="Writer processes for a full build."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--if-missing",
    is_flag=True,
    help="Only build where nothing was built yet (a container's start: a database that holds documents is left alone).",
)
def build(
    glossary_path: str,
    review_path: str,
    corpus_dir: str,
    index_dir: str,
    database_url: str | None,
    full: bool,
    procs: int,
    quiet: bool,
    if_missing: bool,
) -> None:
    """Build the index (term postings included), or bring it up to date with the corpus folder
    and the glossary file: documents added, changed or removed, and a glossary edit re-matched.
    With a database, the corpus folder replaces what the database holds."""
    glossary = load_glossary(glossary_path, review_path=review_path)
    if not Path(corpus_dir).is_dir():
        raise click.ClickException(f"no corpus folder {corpus_dir}")
    total = count_corpus_files(corpus_dir)
    skipped: list[Skipped] = []
    index = open_index(index_dir, database_url)
    if if_missing and not index.is_fresh():
        click.echo(f"{'the database' if database_url else index_dir} holds an index already; left as it is")
        index.close()
        return
    if database_url or full or not index_exists(index_dir):
        with tqdm(total=total, unit="doc", disable=quiet, desc="indexing") as bar:
            loaded = index.replace_all(
                read_corpus(corpus_dir, skipped), glossary, on_document=lambda d: bar.update(), procs=procs
            )
        click.echo(f"built {'the database' if database_url else index_dir} from {loaded} documents")
    else:
        with tqdm(total=total, unit="doc", disable=quiet, desc="checking") as bar:
            report = Library(corpus_dir, index, index_dir).sync(on_file=lambda p: bar.update())
        skipped = report.skipped
        click.echo(
            f"updated {index_dir}: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed, {report.unchanged} unchanged"
        )
        if index.state().glossary_version != glossary.version:
            with _bar(quiet, "re-matching") as bar:
                result = index.rematch(glossary, progress=_progress(bar))
            click.echo(
                f"glossary {glossary.version} stored: {result.documents_checked} documents checked, "
                f"{result.documents_changed} re-matched"
            )
    for item in skipped:
        click.echo(f"skipped {item.path}: {item.reason}", err=True)
    click.echo(_counts_line(index, glossary))
    index.close()


@main.command()
@CORPUS
@INDEX
@DATABASE
@click.option("--allow", multiple=True, metavar="CIDR", help="A private network that may be fetched (repeatable).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.argument("targets", nargs=-1, required=True)
def ingest(
    corpus_dir: str,
    index_dir: str,
    database_url: str | None,
    allow: tuple[str, ...],
    quiet: bool,
    targets: tuple[str, ...],
) -> None:
    """Add web pages, RSS/Atom feeds (every article they link), HTML and PDF files as documents.

    TARGETS are URLs or files. A document already there with the same text is left alone;
    one that changed is replaced. Each failure is one line; the exit code is 1 if any failed.
    """
    from index.fetch import FetchPolicy
    from index.ingest import Ingester

    index = open_index(index_dir, database_url)
    settings_allow = str(settings()["FETCH_ALLOW"]).split(",")
    policy = FetchPolicy.allowing([*settings_allow, *allow], max_bytes=int(settings()["FETCH_MAX_BYTES"]))
    library = Library(None if database_url else corpus_dir, index, index_dir)
    with tqdm(unit="item", disable=quiet, desc="ingesting") as bar:  # a feed adds its articles
        report = Ingester(library, policy, on_item=lambda _: bar.update()).ingest(targets)
    index.close()
    for item, why in report.failed:
        click.echo(f"failed {item}: {why}")
    click.echo(f"{len(report.written)} written, {len(report.unchanged)} unchanged, {len(report.failed)} failed")
    if report.failed:
        sys.exit(1)


@main.command("suggest-aliases")
@INDEX
@DATABASE
@REVIEW
@click.option("--term", "term_id", help="Only this term's suggestions.")
@click.option("--kind", type=click.Choice(["abbreviation", "short-form", "spelling", "cross-reference"]))
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True)
def suggest_aliases_command(
    index_dir: str, database_url: str | None, review_path: str, term_id: str | None, kind: str | None, min_score: float
) -> None:
    """Labels the corpus uses for each term that the glossary lacks, with evidence (computed now)."""
    from index.aliases import CONFIDENT
    from index.review import load_review
    from index.writer import alias_data

    index = open_index(index_dir, database_url)
    found = alias_data(index, load_review(review_path))["suggestions"]
    index.close()
    shown = [
        s
        for s in found
        if (not term_id or s["term"] == term_id) and (not kind or s["kind"] == kind) and s["score"] >= min_score
    ]
    for s in shown:
        mark = "*" if s["score"] >= CONFIDENT else " "
        merge = f" (merges {s['merge']})" if s["merge"] else ""
        click.echo(
            f"{mark} {s['score']:.2f}\t{s['term']}\t{s['alias']}\t{s['kind']}{merge}\t"
            f"{s['passages']} passages, {s['documents']} documents"
        )
    click.echo(f"{len(shown)} suggestions (* confident: score >= {CONFIDENT})")


@main.command("accept-alias")
@GLOSSARY
@click.option("--status", type=click.Choice(["admitted", "preferred", "deprecated"]), default="admitted")
@click.option("--merge", help="The cross-reference entry to merge into TERM (removed; its labels kept).")
@click.argument("term_id")
@click.argument("alias")
def accept_alias_command(glossary_path: str, status: str, merge: str | None, term_id: str, alias: str) -> None:
    """Write ALIAS into TERM's labels in the glossary file (comments kept; validated like a hand edit)."""
    from index.curation import add_alias, diff, merge_entry
    from index.durable import write_atomically
    from index.errors import AliasConflict

    path = Path(glossary_path)
    before = path.read_text(encoding="utf-8")
    try:
        after = (
            merge_entry(before, term_id, merge, path.name)
            if merge
            else add_alias(before, term_id, alias, status, path.name)
        )
    except AliasConflict as exc:
        raise click.ClickException(str(exc)) from None
    if after == before:
        click.echo(f"{term_id} has {alias!r} already; nothing written")
        return
    write_atomically(path, after.encode("utf-8"))
    click.echo(diff(before, after, path.name), nl=False)


@main.command("review-match")
@INDEX
@DATABASE
@REVIEW
@click.option("--by", default="curator", show_default=True)
@click.argument("term_id")
@click.argument("passage_id")
@click.argument("verdict", type=click.Choice(["reject", "confirm", "undo"]))
def review_match_command(
    index_dir: str, database_url: str | None, review_path: str, by: str, term_id: str, passage_id: str, verdict: str
) -> None:
    """Reject, confirm or undo TERM's match in passage PASSAGE_ID (<doc>:<n>), in the review file.

    A rejected match leaves the term's usage once the service's writer (or `glossary build`)
    has re-matched the passage."""
    from index.review import record_verdict, undo_verdict
    from index.text import passage_fingerprint

    index = open_index(index_dir, database_url)
    doc_id, _, ordinal = passage_id.rpartition(":")
    with index.snapshot() as snap:
        doc = snap.get_document(doc_id)
    index.close()
    passage = next((p for p in doc.passages if str(p.ordinal) == ordinal), None) if doc else None
    if passage is None:
        raise click.ClickException(f"no passage {passage_id!r}")
    fingerprint = passage_fingerprint(passage.text)
    if verdict == "undo":
        done = undo_verdict(review_path, term_id, fingerprint)
        click.echo(f"{'undone' if done else 'no verdict to undo'}: {term_id} in {passage_id}")
        return
    record_verdict(review_path, verdict, term_id, doc_id, fingerprint, passage.text, by)
    click.echo(f"{verdict}ed: {term_id} in {passage_id} (fingerprint {fingerprint}) in {review_path}")


@main.command("reject-alias")
@REVIEW
@click.option("--by", default="curator", show_default=True)
@click.argument("term_id")
@click.argument("alias")
def reject_alias_command(review_path: str, by: str, term_id: str, alias: str) -> None:
    """Record in the review file that ALIAS is not an alias of TERM (never suggested again)."""
    from index.review import reject_alias

    recorded = reject_alias(review_path, term_id, alias, by)
    click.echo(f"{'recorded' if recorded else 'already recorded'} in {review_path}: {alias!r} is not {term_id}")


SOURCES = _setting("--sources", "SOURCES_PATH", "sources.yaml", "The sources file.", click.Path(dir_okay=False))


@main.command()
@SOURCES
@CORPUS
@INDEX
@DATABASE
@click.option("--once", is_flag=True, help="Poll what is due once and exit (for cron); else poll every 5 s.")
@click.option("--all", "everything", is_flag=True, help="Poll every source now, due or not.")
def poll(
    sources_path: str, corpus_dir: str, index_dir: str, database_url: str | None, once: bool, everything: bool
) -> None:
    """Poll the feeds and pages of the sources file, as the service's background writer does.

    Only one process polls: when the service (or another `glossary poll`) holds the index's
    writer lock, this one says so and exits 0.
    """
    from index.poller import SourcePoller
    from service.config import fetch_policy

    index = open_index(index_dir, database_url)
    if not index.try_writer_lock():
        click.echo("another process (the service's background writer) polls the sources; nothing to do")
        index.close()
        return
    library = Library(None if database_url else corpus_dir, index, index_dir)
    poller = SourcePoller(sources_path, library, fetch_policy(settings()))
    try:
        for _ in range(1 if once else 10**9):  # bounded: cron runs --once
            polled = poller.poll(force=everything)
            if polled:
                click.echo(f"polled {', '.join(polled)}")
            if once:
                break
            time.sleep(5)
        _print_sources(poller.stored())
    finally:
        index.close()


@main.command()
@INDEX
@DATABASE
def sources(index_dir: str, database_url: str | None) -> None:
    """Each followed source: when it last succeeded, what failed, how many documents it added."""
    from index.poller import STATE

    index = open_index(index_dir, database_url)
    with index.snapshot() as snap:
        stored = snap.derived(STATE)
    index.close()
    _print_sources(stored["data"] if stored else None)


def _print_sources(data: dict[str, Any] | None) -> None:
    from index.poller import public_status

    found = public_status({"data": data} if data else None)
    for problem in found["problems"]:
        click.echo(f"problem: {problem}")
    if not found["sources"]:
        click.echo("no sources polled yet")
    for src in found["sources"]:
        error = src["last_error"]["message"] if src["last_error"] else "-"
        click.echo(
            f"{src['name']}\t{src['url']}\tlast success {src['last_success'] or 'never'}\t"
            f"{src['documents_added']} documents\tfailures {src['failures_in_a_row']}\tlast error {error}"
        )
        for item in src["item_errors"]:
            click.echo(f"  failed {item['item']}: {item['message']}")


@main.command()
@GLOSSARY
@INDEX
@DATABASE
@click.option("--procs", type=click.IntRange(1, 16), default=1, show_default=True, help="Writer processes.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def upgrade(glossary_path: str, index_dir: str, database_url: str | None, procs: int, quiet: bool) -> None:
    """Migrate an index made by an older release: match its documents into term postings."""
    glossary = load_glossary(glossary_path)
    if database_url:
        index = open_index(index_dir, database_url)  # opening applies the schema migrations
        with _bar(quiet, "matching") as bar:
            report = index.rematch(glossary, progress=_progress(bar), everything=True)
        index.close()
        click.echo(f"upgraded the database: {report.documents_checked} documents matched")
        return
    from index.backends.whoosh import upgrade as upgrade_whoosh

    with _bar(quiet, "matching") as bar:
        count = upgrade_whoosh(index_dir, glossary, procs=procs, on_document=lambda d: bar.update())
    click.echo(f"upgraded {index_dir}: {count} documents matched")


@main.command()
@click.argument("label")
@GLOSSARY
@INDEX
@DATABASE
@click.option("--limit", type=click.IntRange(1, 1000), default=5, show_default=True)
def lookup(label: str, glossary_path: str, index_dir: str, database_url: str | None, limit: int) -> None:
    """A term's definition and the first passages that use it, matches in [brackets]."""
    store = _store(index_dir, database_url, glossary_path)
    result = store.lookup(label)
    if result.term is None:
        hint = ", ".join(t.preferred for t in result.suggestions)
        raise click.ClickException(f"no term has the label {label!r}" + (f"; did you mean: {hint}?" if hint else ""))
    term = result.term
    usage = store.usage(term)
    click.echo(click.style(term.preferred, bold=True) + f"  ({term.id}, {result.rule} match on {result.label!r})")
    click.echo(term.definition)
    click.echo(f"{usage.passages} passages in {usage.documents} documents")
    total, hits = store.term_passages(term, limit=limit)
    for hit in hits:
        text, marked = hit.passage.text, []
        last = 0
        for m in hit.matches:
            marked.append(text[last : m.start] + "[" + text[m.start : m.end] + "]")
            last = m.end
        marked.append(text[last:])
        click.echo(f"\n{hit.passage.id} ({hit.passage.date or 'undated'})\n  " + "".join(marked))


@main.command()
@click.argument("file", type=click.File("rb"))
@GLOSSARY
@INDEX
@DATABASE
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.option(
    "--overlaps",
    type=click.Choice(["none", "all"]),
    default="none",
    show_default=True,
    help="all: nested and overlapping matches too (marked nested).",
)
@click.pass_context
def annotate(
    ctx: click.Context,
    file: Any,
    glossary_path: str,
    index_dir: str,
    database_url: str | None,
    as_json: bool,
    overlaps: str,
) -> None:
    """Every term occurrence in FILE (or - for standard input), with spans. Uses the glossary the
    service serves (the index's), or the file given with --glossary (or when there is no index)."""
    raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"input is not UTF-8 (byte {exc.start})") from None
    explicit = ctx.get_parameter_source("glossary_path") is click.core.ParameterSource.COMMANDLINE
    if explicit or not (database_url or index_exists(index_dir)):
        glossary = load_glossary(glossary_path)
    else:
        glossary = _store(index_dir, database_url, glossary_path).glossary
    matches = matcher_for(glossary).match(text)
    if overlaps == "none":
        matches = leftmost_longest(matches)
    if as_json:
        click.echo(json.dumps({"matches": [m.as_dict() for m in matches]}, ensure_ascii=False))
        return
    for m in matches:
        nested = "\tnested" if m.nested else ""
        click.echo(f"{m.start}\t{m.end}\t{m.term}\t{m.rule}\t{text[m.start : m.end]}{nested}")


@main.command()
@GLOSSARY
@INDEX
@DATABASE
def stats(glossary_path: str, index_dir: str, database_url: str | None) -> None:
    """Terms, documents, passages, and passages per term."""
    store = _store(index_dir, database_url, glossary_path)
    counts = store.counts()
    click.echo(f"terms\t{len(store.glossary)}\ndocuments\t{counts.documents}\npassages\t{counts.passages}")
    rows = sorted(((store.usage(t).passages, t.id) for t in store.glossary.terms), reverse=True)
    total = sum(n for n, _ in rows)
    click.echo(f"matches\t{total}")
    for n, term_id in rows:
        click.echo(f"  {term_id}\t{n}")


@main.command("migrate-index")
@INDEX
@click.option("--database", "database_url", required=True, help="postgresql://... to copy the documents into.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def migrate_index(index_dir: str, database_url: str, quiet: bool) -> None:
    """Copy an existing whoosh index's documents into PostgreSQL (replacing what is there)."""
    source = open_index(index_dir).snapshot()
    ids = sorted(source.document_ids())
    target = open_index(index_dir, database_url)
    documents = (doc for doc in (source.get_document(i) for i in ids) if doc is not None)
    with tqdm(total=len(ids), unit="doc", disable=quiet, desc="migrating") as bar:
        loaded = target.replace_all(
            documents, glossary_from_text(source.state.glossary_text), on_document=lambda d: bar.update()
        )
    source.close()
    with target.snapshot() as snap:
        counts = snap.counts()
    target.close()
    click.echo(f"migrated {loaded} documents ({counts.passages} passages) into PostgreSQL")


@main.command()
@GLOSSARY
@INDEX
@DATABASE
@click.option("--limit", type=click.IntRange(1, 500), default=30, show_default=True)
def candidates(glossary_path: str, index_dir: str, database_url: str | None, limit: int) -> None:
    """Recurring phrases of the corpus that are not in the glossary, best first."""
    from index.candidates import find_candidates

    store = _store(index_dir, database_url, glossary_path)
    for c in find_candidates(store.snapshot.all_passages(), store.glossary, limit=limit):
        click.echo(f"{c.score:9.2f}  {c.passages:5d} passages  {c.documents:4d} docs  {c.phrase}")


@main.command()
@GLOSSARY
@click.option("--format", "fmt", type=click.Choice(["csv", "turtle", "json-ld"]), default="csv", show_default=True)
@click.option(
    "--base-uri", default=lambda: settings()["BASE_URI"], show_default=True, help="SKOS concept URIs: BASE_URI + id"
)
def export(glossary_path: str, fmt: str, base_uri: str) -> None:
    """Print the glossary as CSV, or as SKOS in Turtle or JSON-LD."""
    from index.export import to_csv, to_skos

    glossary = load_glossary(glossary_path)
    click.echo(to_csv(glossary) if fmt == "csv" else to_skos(glossary, base_uri, fmt), nl=False)


@main.command("import-csv")
@click.argument("csv_file", type=click.File("r", encoding="utf-8"))
@GLOSSARY
@click.option("--dry-run/--write", default=True, show_default=True, help="Only show the diff, or write the file.")
def import_csv(csv_file: Any, glossary_path: str, dry_run: bool) -> None:
    """Apply a CSV (as `export` writes it) to the glossary file; shows the diff first."""
    from index.durable import write_atomically
    from index.export import csv_import_diff

    path = Path(glossary_path)
    new_text, diff = csv_import_diff(path.read_text(encoding="utf-8"), csv_file.read(), path.name)
    click.echo(diff or "no changes", nl=not diff)
    if not dry_run and diff:
        write_atomically(path, new_text.encode("utf-8"))
        click.echo(f"wrote {path}")


@main.command()
@GLOSSARY
@CORPUS
@INDEX
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
def serve(glossary_path: str, corpus_dir: str, index_dir: str, host: str, port: int) -> None:
    """The development server (production runs gunicorn on the same app)."""
    from service import create_app

    if not index_exists(index_dir):
        with tqdm(total=count_corpus_files(corpus_dir), unit="doc", desc="indexing") as bar:
            open_index(index_dir).replace_all(
                read_corpus(corpus_dir), load_glossary(glossary_path), on_document=lambda d: bar.update()
            )
    app = create_app({"GLOSSARY_PATH": glossary_path, "CORPUS_DIR": corpus_dir, "INDEX_DIR": index_dir})
    click.echo(f"serving on http://{host}:{port}/")
    app.run(host=host, port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    sys.exit(main())
