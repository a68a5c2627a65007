"""Demo company generator: a deterministic, vectorised simulation of an outdoor-gear web shop
("Northwind Outfitters") with CRM, support desk, email marketing, ad spend, surveys, an A/B test
and web tracking, written in the shapes of docs/sources.md ("Demo generator store").

    >>> from ingestion.demo.generator import generate
    >>> summary = generate("data", scale="S", seed=42)

Files under ``data_dir``:

- ``demo/vendor/{crm,support,marketing}/<table>.parquet`` and ``demo/vendor/faults.json``
- ``landing/marketing/{ad_spend,surveys,experiments}/YYYY-MM.csv``
- ``landing/web/events/dt=YYYY-MM-DD/part-0000.jsonl.gz`` (plus one ``part-0001`` holding
  malformed lines and one truncated ``part-0001``)
- ``demo/truth/``: ``identifiers.parquet``, ``persons.parquet``, ``experiment.json``,
  ``expected.json`` (= ``GenerationSummary.to_dict(runtime=False)``), ``model_params.json``
  (BG/NBD, Gamma-Gamma and other planted parameters) and ``web_files.json`` (the writer's
  manifest of partition fingerprints).

The simulation runs over a fixed horizon (``end_date`` + 60 days) and is *cut* at
``end_date + extend_days``: a later cut is the same company one or more days later (every record
that existed before is identical unless it genuinely changed, e.g. a ticket got solved).
Web partitions whose content did not change are neither re-rendered nor rewritten (their mtime
stays); every other file is rewritten only if its bytes changed.
"""

from __future__ import annotations

import json
import os
import re
import time as _time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from . import catalog as C
from ._util import DAY, NEVER, ts_arr, uniq_int
from .campaigns import PLANT_SHARE, PLANT_WINDOW_DAYS
from .commerce import BEHAVIOUR, BEHAVIOUR_KINDS, BTYD, GAMMA_GAMMA
from .config import EXPERIMENT, HORIZON_DAYS, Config, parse_scale
from .crm import build_crm
from .marketing import (
    build_ad_spend,
    build_experiment,
    build_marketing,
    build_surveys,
    device_anonymous_ids,
)
from .sim import World, simulate
from .support import build_support
from .tables import CSV_COLUMNS, CSV_RAW_TABLE, PRIMARY_KEYS, SCHEMAS, Identifiers
from .web import IDENT_LOGIN, IDENT_NEWSLETTER, IDENT_SIGNUP
from .webio import write_events

__all__ = ["GenerationSummary", "generate", "parse_scale", "SCHEMAS", "CSV_COLUMNS",
           "PRIMARY_KEYS"]

WEB_PREFIX = "landing/web/events"
MARKETING_PREFIX = "landing/marketing"
VENDOR_PREFIX = "demo/vendor"
TRUTH_PREFIX = "demo/truth"
MANIFEST = f"{TRUTH_PREFIX}/web_files.json"


@dataclass
class GenerationSummary:
    """What ``generate`` produced. ``to_dict(runtime=False)`` is the content of
    ``demo/truth/expected.json`` (deterministic: no timings, no per-run file lists)."""

    data_dir: str
    scale: float
    seed: int
    end_date: str
    extend_days: int
    cut: str
    people: int
    rows: dict = field(default_factory=dict)
    expected_rows: dict = field(default_factory=dict)
    duplicates: dict = field(default_factory=dict)
    malformed: dict = field(default_factory=dict)
    corrupt_files: list = field(default_factory=list)
    late_events: int = 0
    web: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    files_written: list = field(default_factory=list)
    files_unchanged: list = field(default_factory=list)
    seconds: float = 0.0
    stage_seconds: dict = field(default_factory=dict)

    def to_dict(self, runtime: bool = True) -> dict:
        d = asdict(self)
        if not runtime:
            for k in ("data_dir", "files_written", "files_unchanged", "seconds", "stage_seconds"):
                d.pop(k)
        return d


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def _parquet_bytes(t: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(t, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _csv_bytes(t: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pcsv.write_csv(t, sink, pcsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def _monthly(t: pa.Table, folder: str) -> dict[str, pa.Table]:
    """Split a table with an int64 ms column ``_t`` into one table per calendar month."""
    ms = t["_t"].to_numpy()
    month = ms.astype("datetime64[ms]").astype("datetime64[M]")
    t = t.drop_columns(["_t"])
    out = {}
    for m in np.unique(month):
        out[f"{MARKETING_PREFIX}/{folder}/{m}.csv"] = t.filter(pa.array(month == m))
    return out


def _pick(table: pa.Table, created_col: str, before_ms: int, frac: float,
          where: np.ndarray | None = None) -> int:
    """Row index of a record that exists in every cut (created before ``before_ms``)."""
    created = table[created_col].cast(pa.int64()).to_numpy(zero_copy_only=False) // 1000
    ok = created < before_ms
    if where is not None:
        ok &= where
    idx = np.flatnonzero(ok)
    if not idx.size:
        return -1
    return int(idx[int(frac * (idx.size - 1))])


def plant_faults(vendor: dict[str, pa.Table], cfg: Config, never_customers: pa.Array
                 ) -> list[dict]:
    """A handful of malformed records (at most ~5 per source) the stand-in applies when it
    serialises. The records are chosen independently of the cut (created long before
    end_date, by a rule that does not depend on later changes), so every cut plants the same
    faults on the same records."""
    before = cfg.t_end - 200 * DAY
    spec = [
        ("crm", "contacts", "created_at", "id", None, "missing_primary_key",
         lambda t: pc.is_in(t["id"], value_set=never_customers).to_numpy(
             zero_copy_only=False)),
        ("crm", "orders", "created_at", "hs_total_price", "abc", "wrong_type", None),
        ("crm", "deals", "created_at", "closedate", "not-a-date", "unparsable_timestamp", None),
        ("support", "tickets", "created_at", "created_at", "2026-02-30T25:61:00Z",
         "unparsable_timestamp", None),
        ("support", "satisfaction_ratings", "created_at", "ticket_id", "abc", "wrong_type", None),
        ("marketing", "profiles", "created", "id", None, "missing_primary_key", None),
        ("marketing", "email_events", "datetime", "datetime", "yesterday",
         "unparsable_timestamp", None),
        ("marketing", "coupons", "created", "discount_value", "abc", "wrong_type",
         lambda t: pc.not_equal(t["code"], "WELCOME10").to_numpy(zero_copy_only=False)),
    ]
    faults = []
    for i, (system, tbl, created, fld, value, reason, cond) in enumerate(spec):
        t = vendor[f"{system}.{tbl}"]
        if not t.num_rows:
            continue
        row = _pick(t, created, before, (0.37 + 0.11 * i) % 1.0, cond(t) if cond else None)
        if row < 0:
            continue
        rid = t["id"][row].as_py()
        faults.append({"system": system, "table": tbl, "id": rid, "field": fld, "value": value,
                       "reason": reason})
    return faults


def persons_truth(w: World, cfg: Config) -> pa.Table:
    P, od = w.people, w.orders
    cut = cfg.cut
    keep = np.flatnonzero(P.fs < cut)
    n = P.n
    placed = w.o_time < cut
    n_orders = np.bincount(od.person[placed], minlength=n)
    first_o = np.full(n, NEVER, np.int64)
    np.minimum.at(first_o, od.person[placed], w.o_time[placed])
    last_o = np.full(n, -1, np.int64)
    np.maximum.at(last_o, od.person[placed], w.o_time[placed])
    lead_at = np.where(w.t_lead < cut, w.t_lead, NEVER)
    kind = np.where(n_orders > 0, 2, np.where(lead_at < NEVER, 1, 0))
    days = (cut - last_o) // DAY
    life = np.where(kind == 0, "visitor", np.where(kind == 1, "lead", np.where(
        days <= 90, "active", np.where(days <= 180, "at_risk", "churned"))))
    lam = np.full(n, np.nan)
    pdrop = np.full(n, np.nan)
    K = np.zeros(n, np.int64)
    nu = np.full(n, np.nan)
    lam[od.cust_person], pdrop[od.cust_person], K[od.cust_person] = od.lam, od.p_drop, od.K
    nu[od.cust_person] = od.nu
    alive = n_orders < K  # drops out after its K-th purchase
    bc_at = np.full(n, NEVER, np.int64)
    bc_kind = np.full(n, -1)
    bc_at[od.change_person] = od.change_at
    bc_kind[od.change_person] = od.change_kind
    bc = (bc_at < cut) & (n_orders > 0)
    cust = kind == 2
    k = keep
    return pa.table({
        "person_id": pa.array(k, pa.int64()),
        "kind": np.array(["visitor", "lead", "customer"])[kind[k]],
        "acquisition_channel": np.array(C.CHANNELS)[P.ch[k]],
        "first_seen_at": ts_arr(P.fs[k]),
        "lead_at": ts_arr(lead_at[k]),
        "signup_at": ts_arr(np.where(w.t_su < cut, w.t_su, NEVER)[k]),
        "newsletter_at": ts_arr(np.where(w.t_nl < cut, w.t_nl, NEVER)[k]),
        "first_order_at": ts_arr(first_o[k]),
        "last_order_at": ts_arr(np.where(last_o >= 0, last_o, NEVER)[k]),
        "n_orders": n_orders[k],
        "lifecycle_stage": life[k],
        "churned": life[k] == "churned",
        "btyd_alive": pa.array(alive[k], mask=~cust[k]),
        "btyd_lambda_per_day": pa.array(lam[k], mask=~cust[k]),
        "btyd_p_dropout": pa.array(pdrop[k], mask=~cust[k]),
        "btyd_total_purchases": pa.array(K[k], mask=~cust[k]),
        "gg_nu": pa.array(nu[k], mask=~cust[k]),
        "is_b2b": P.b2b[k],
        "n_devices": P.n_dev[k],
        "email": P.email.take(pa.array(k)),
        "experiment_variant": pa.array(np.array(["control", "treatment", ""])[P.exp_arm[k]],
                                       mask=P.exp_arm[k] < 0),
        "behaviour_change": bc[k],
        "behaviour_change_at": ts_arr(np.where(bc, bc_at, NEVER)[k]),
        "behaviour_change_kind": pa.array(
            np.array(BEHAVIOUR_KINDS + [""], dtype=object)[np.where(bc, bc_kind, -1)[k]],
            mask=~bc[k]),
    })


def _clean_stale(root: Path, prefix: str, keep: set[str], pattern: str):
    base = root / prefix
    if not base.exists():
        return
    rx = re.compile(pattern)
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rx.search(p.name) and rel not in keep:
            p.unlink()
    for p in sorted(base.rglob("*"), reverse=True):
        if p.is_dir() and not any(p.iterdir()):
            p.rmdir()


def generate(data_dir: str | Path, scale: str | float = "S", seed: int = 42,
             end_date: date = date(2026, 11, 1), extend_days: int = 0) -> GenerationSummary:
    """Generate the demo company into ``data_dir`` (see the module docstring)."""
    t_start = _time.perf_counter()
    cfg = Config(seed=int(seed), factor=parse_scale(scale), end_date=end_date,
                 extend_days=int(extend_days))
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    stages: dict[str, float] = {}
    mark = [_time.perf_counter(), _time.process_time()]

    def lap(name: str):
        now, cpu = _time.perf_counter(), _time.process_time()
        stages[name] = round(now - mark[0], 3)
        stages[f"{name}_cpu"] = round(cpu - mark[1], 3)
        mark[0], mark[1] = now, cpu

    w = simulate(cfg)
    lap("simulate")
    ids = Identifiers()

    vendor, crm_keys = build_crm(w, ids)
    sup, facts = build_support(w, crm_keys, ids)
    vendor.update(sup)
    mk, mk_keys = build_marketing(w, crm_keys, ids)
    vendor.update(mk)
    anon = device_anonymous_ids(w)
    csv_tables = {"ad_spend": build_ad_spend(w, mk_keys["campaign_id"])}
    surveys = build_surveys(w, crm_keys, facts, ids)
    experiments, exp_truth = build_experiment(w, anon)
    lap("tables")

    written, unchanged, files = [], [], []

    def put(rel: str, data: bytes):
        files.append(rel)
        (written if _write_if_changed(root / rel, data) else unchanged).append(rel)

    # web events (big; threads compress while the next chunk is rendered)
    manifest_path = root / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    except (OSError, ValueError):
        manifest = {}
    web_exp, writer = write_events(w, crm_keys, anon, root, manifest.get("files", {}),
                                   WEB_PREFIX)
    written += writer.written
    unchanged += writer.unchanged
    files += sorted(writer.new)
    _clean_stale(root, WEB_PREFIX, set(writer.new), r"^part-\d{4}\.jsonl\.gz$")
    lap("web_events")

    # identifiers seen on the web (devices with events that arrived before the cut)
    rows, d = web_exp.pop("rows"), web_exp.pop("delivery")
    seen = np.zeros(w.ev["ts"].size, bool)
    seen[rows.ev] = True
    ev_seen = np.flatnonzero(seen)
    del seen
    ev_dev = w.S.dev[w.ev["sess"][ev_seen]]
    dev_seen = uniq_int(ev_dev)
    ids.add("anonymous_id", anon.take(pa.array(dev_seen)), w.people.dev_person[dev_seen])
    uid_dev = uniq_int(ev_dev[w.ev["ts"][ev_seen] >= w.dev_uid_from[ev_dev]])
    uid_people = uniq_int(w.people.dev_person[uid_dev])
    ids.add("app_user_id", w.people.user_id.take(pa.array(uid_people)), uid_people)
    # identify calls carry the person's email as a trait
    et = w.ev["etype"][ev_seen]
    ident_people = uniq_int(w.S.person[w.ev["sess"][ev_seen[np.isin(
        et, [IDENT_SIGNUP, IDENT_NEWSLETTER, IDENT_LOGIN])]]])
    ids.add("email", w.people.email.take(pa.array(ident_people)), ident_people,
            normalise_email=True)
    del rows, d

    # marketing landing files
    csv_files = {}
    for name, t in (("ad_spend", csv_tables["ad_spend"].append_column(
            "_t", pa.array(csv_tables["ad_spend"]["date"].cast(pa.timestamp("ms")).cast(
                pa.int64())))), ("surveys", surveys), ("experiments", experiments)):
        for rel, part in _monthly(t, name).items():
            csv_files[rel] = part
            put(rel, _csv_bytes(part.select(CSV_COLUMNS[name])))
    _clean_stale(root, MARKETING_PREFIX, set(csv_files), r"^\d{4}-\d{2}\.csv$")

    lap("identifiers_csv")
    # vendor store
    never = np.flatnonzero((crm_keys.contact_rank >= 0) & (crm_keys.t_customer == NEVER))
    faults = plant_faults(vendor, cfg, crm_keys.contact_id.take(pa.array(never)))
    for name, t in vendor.items():
        system, tbl = name.split(".")
        put(f"{VENDOR_PREFIX}/{system}/{tbl}.parquet", _parquet_bytes(t))
    put(f"{VENDOR_PREFIX}/faults.json", (json.dumps(faults, indent=2) + "\n").encode())

    # expectations
    rows_written = {name: t.num_rows for name, t in vendor.items()}
    for name in ("ad_spend", "surveys", "experiments"):
        rows_written[CSV_RAW_TABLE[name]] = sum(
            t.num_rows for rel, t in csv_files.items() if f"/{name}/" in rel)
    rows_written["web.events"] = web_exp["lines_in_readable_files"]
    expected = dict(rows_written)
    malformed: dict[str, list] = {}
    for f in faults:
        key = f"{f['system']}.{f['table']}"
        expected[key] -= 1
        malformed.setdefault(key, []).append(
            {"id": f["id"], "field": f["field"], "reason": f["reason"]})
    expected["web.events"] = web_exp["rows_expected"]
    if web_exp["malformed"]:
        malformed["web.events"] = web_exp["malformed"]

    # truth
    persons = persons_truth(w, cfg)
    put(f"{TRUTH_PREFIX}/persons.parquet", _parquet_bytes(persons))
    put(f"{TRUTH_PREFIX}/identifiers.parquet", _parquet_bytes(ids.table()))
    put(f"{TRUTH_PREFIX}/experiment.json", (json.dumps(exp_truth, indent=2) + "\n").encode())
    params = {"btyd": BTYD, "gamma_gamma": GAMMA_GAMMA,
              "behaviour_change": BEHAVIOUR,
              "lifecycle": {"active_max_days": 90, "at_risk_max_days": 180},
              "horizon_days_after_end": HORIZON_DAYS,
              "experiment": EXPERIMENT,
              "most_effective_campaign": {
                  "utm_campaign": w.camps.utm_campaign[w.best_campaign],
                  "campaign_name": w.camps.name[w.best_campaign],
                  "why": f"planted: {PLANT_SHARE:.0%} of the paid-search sessions that lead to "
                         f"an order within {PLANT_WINDOW_DAYS} days are this campaign's "
                         "(campaigns.plant_effective_campaign)"}}
    put(f"{TRUTH_PREFIX}/model_params.json", (json.dumps(params, indent=2) + "\n").encode())

    summary = GenerationSummary(
        data_dir=str(root), scale=cfg.factor, seed=cfg.seed, end_date=cfg.end_date.isoformat(),
        extend_days=cfg.extend_days, cut=_iso(cfg.cut), people=int((w.people.fs < cfg.cut).sum()),
        rows=rows_written, expected_rows=expected,
        duplicates={"web.events": web_exp["duplicates"]}, malformed=malformed,
        corrupt_files=web_exp["corrupt_files"], late_events=web_exp["late_events"],
        web={k: web_exp[k] for k in ("late_events_in_later_partition", "partitions")}
        | {"sessions": int(uniq_int(w.ev["sess"][ev_seen]).size)},
        files=sorted(files + [f"{TRUTH_PREFIX}/expected.json", MANIFEST]),
    )
    put(f"{TRUTH_PREFIX}/expected.json",
        (json.dumps(summary.to_dict(runtime=False), indent=2) + "\n").encode())
    put(MANIFEST, (json.dumps({"files": dict(sorted(writer.new.items()))}, indent=1) + "\n"
                   ).encode())
    lap("write_vendor_truth")
    summary.stage_seconds = stages
    summary.files_written = sorted(written)
    summary.files_unchanged = sorted(unchanged)
    summary.seconds = round(_time.perf_counter() - t_start, 3)
    return summary
