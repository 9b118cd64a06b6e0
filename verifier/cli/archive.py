"""`verify-objection archive …`: look into the evidence archive, export a mail, re-check every stored mail's hash."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _open(obj: dict, archive_path: str | None):
    from verifier.config import load_settings, resolve_config_path
    from verifier.evidence.archive import Archive
    from verifier.evidence.place import resolve_archive_path

    settings = load_settings(resolve_config_path(obj["config_path"]), must_exist=False)
    return Archive.open(resolve_archive_path(archive_path, settings.archive.path), create=False)


def _record(archive, key: str):
    from verifier.errors import ConfigError

    record = archive.get(key)
    if record is None:
        raise ConfigError(key="no_such_record", what=key)
    return record


@click.group()
@click.option("--archive", "archive_path", type=click.Path(dir_okay=False), help="Evidence archive file.")
@click.pass_context
def archive(ctx: click.Context, archive_path: str | None) -> None:
    """The evidence archive: every confirmation, receipt, code and rejection seen, kept with its evidence record."""
    ctx.ensure_object(dict)["archive_path"] = archive_path  # the same dict: `archive list --lang de` reaches main


@archive.command("list")
@click.pass_obj
def list_(obj: dict) -> None:
    """One line per archived mail: number, date, kind, origin, sender, subject."""
    from verifier.i18n import Texts

    t = Texts(obj["lang"])
    with _open(obj, obj["archive_path"]) as store:
        records = store.records()
        click.echo(t("cli.archive_header", path=store.path, count=len(records)))
        for r in records:
            kind, trust = t(f"kind.{r.kind.value}"), t(f"trust.{r.trust.value}")
            sent = t.date(r.sent_at) if r.sent_at else "?"
            line = f"{r.id:>4}  {sent:<10}  {kind:<19} {trust:<14} {r.sender}  {r.subject}"
            click.echo(" ".join(line.split("\n")))  # a subject with a line break must not fake a second line


@archive.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="The whole evidence record as JSON.")
@click.pass_obj
def show(obj: dict, key: str, as_json: bool) -> None:
    """The evidence record of one mail (by number or SHA-256 prefix): readable, or with --json as JSON."""
    from verifier.i18n import Texts

    with _open(obj, obj["archive_path"]) as store:
        record = _record(store, key)
    if as_json:
        click.echo(record.model_dump_json(indent=2))
        return
    t = Texts(obj["lang"])
    rows = [
        ("kind", t(f"kind.{record.kind.value}")),
        ("trust", t(f"trust.{record.trust.value}")),
        ("sent", t.when(record.sent_at)),
        ("sender", record.sender or "?"),
        ("subject", record.subject or "–"),
        ("accounts", ", ".join(record.accounts_named) or "–"),
        ("source", t.source(record.source)),
        ("folder", record.folder),
        ("location", record.location),
        ("found", t.when(record.found_at)),
        ("seen", t.when(record.last_seen_at)),
        ("size", t("words.bytes", bytes=record.size)),
        ("SHA-256", record.sha256),
    ]
    labels = {name: (t(f"show.{name}") if name != "SHA-256" else name) for name, _ in rows}
    width = max(len(label) for label in labels.values()) + 1
    click.echo(t("show.title", id=record.id))
    for name, value in rows:
        click.echo(f"  {labels[name] + ':':<{width}} {' '.join(str(value).split())}")
    click.echo(f"  {t('show.why') + ':'}")
    # in the reader's language; a record from an older version has only the English words it was stored with
    for reason in [t.reason(r) for r in record.details] or record.reasons:
        click.echo(f"    - {' '.join(reason.split())}")
    click.echo(t("show.json_hint", id=record.id))


@archive.command()
@click.argument("key")
@click.option("--eml", "target", type=click.Path(dir_okay=False), help="Where to write the mail.")
@click.option(
    "--bundle",
    type=click.Path(file_okay=False),
    help="Write a folder anyone can check without this tool: mail, DKIM key record, timestamps, README.",
)
@click.pass_obj
def export(obj: dict, key: str, target: str | None, bundle: str | None) -> None:
    """Write one archived mail, byte for byte, as an .eml file (--eml) or as a checkable bundle (--bundle)."""
    from verifier.errors import ConfigError
    from verifier.i18n import Texts
    from verifier.privatefile import SHARED, write_atomically

    if not target and not bundle:
        raise click.UsageError(Texts(obj["lang"])("cli.export_where"))
    with _open(obj, obj["archive_path"]) as store:
        record = _record(store, key)
        raw = store.raw(record.id or 0)
        if bundle:
            from verifier.evidence.bundle import write_bundle

            try:
                names = write_bundle(store, record, Path(bundle))
            except OSError as err:
                raise ConfigError(key="cannot_write", path=bundle, why=err.strerror) from None
            click.echo(Texts(obj["lang"])("cli.bundle_written", path=bundle, names=", ".join(names)))
            if not target:
                return
    try:
        write_atomically(Path(target), raw, mode=SHARED)
    except OSError as err:
        raise ConfigError(key="cannot_write", path=target, why=err.strerror) from None
    click.echo(Texts(obj["lang"])("cli.exported", path=target, bytes=len(raw), sha256=record.sha256))


@archive.command()
@click.pass_obj
def verify(obj: dict) -> None:
    """Offline: re-hash every mail, re-check its DKIM signatures against the keys as kept, validate its timestamps.

    Exit 1 if a mail was altered, no longer verifies against its kept key, or has a timestamp that does not hold."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.evidence.audit import audit
    from verifier.i18n import Texts
    from verifier.render.audit import audit_lines, audit_summary

    settings = load_settings(resolve_config_path(obj["config_path"]), must_exist=False)
    with _open(obj, obj["archive_path"]) as store:
        results = audit(store, settings.archive.timestamp_ca_file)
    t = Texts(obj["lang"])
    for result in results:
        for line in audit_lines(result, t):
            click.echo(line)
    click.echo(audit_summary(results, t))
    sys.exit(1 if any(r.failed for r in results) else 0)
