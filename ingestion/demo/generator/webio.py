"""Web event files: delivery (sentAt/receivedAt, late events, duplicate deliveries), planted
faults (a corrupt gzip file, a file of malformed lines) and the vectorised JSON-lines writer.

Lines are built by DuckDB from Arrow columns (dictionary-encoded JSON fragments + timestamps),
compressed with zlib in worker threads, one ``dt=YYYY-MM-DD/part-0000.jsonl.gz`` per received
day. A partition whose content did not change is not rewritten (its mtime stays)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import catalog as C
from ._util import (
    DAY,
    HOUR,
    MIN,
    NEVER,
    fixed_concat,
    group_starts,
    hex_mat,
    join,
    mix64,
    sort_key,
    uniq_int,
)
from .commerce import PRODUCT_CAT
from .config import EXPERIMENT
from .crm import PRODUCT_BASE, CrmKeys
from .people import UA_LIST, mess_emails
from .sim import World
from .web import (
    ADDED,
    COMPLETED,
    EXPOSED,
    IDENT_JUNK,
    IDENT_LOGIN,
    IDENT_NEWSLETTER,
    IDENT_SIGNUP,
    PAGE,
    TRACK_NAMES,
    VIEWED,
)

P_LATE, P_DUP = 0.01, 0.005
CORRUPT_DAYS_BEFORE_END = 100
MALFORMED_DAYS_BEFORE_END = 50
CHUNK_ROWS = 250_000


@dataclass
class Delivery:
    sent: np.ndarray  # per event
    recv: np.ndarray  # per event (first delivery)
    late: np.ndarray
    dup_recv: np.ndarray  # per event: second delivery or NEVER


def delivery(w: World) -> Delivery:
    rng = w.cfg.rng("web_delivery")
    ts = w.ev["ts"]
    n = ts.size
    late = rng.random(n, dtype=np.float32) < P_LATE
    sent = ts + rng.integers(0, 1500, n, dtype=np.int32)
    recv = sent + rng.integers(30, 600, n, dtype=np.int32)
    lr = ts + DAY + rng.integers(0, 4 * DAY, n, dtype=np.int64)
    recv = np.where(late, lr, recv)
    del lr
    sent = np.where(late, recv - rng.integers(50, 2000, n, dtype=np.int32), sent)
    dup = rng.random(n, dtype=np.float32) < P_DUP
    delta = np.where(rng.random(n, dtype=np.float32) < 0.6,
                     rng.integers(1000, 20 * MIN, n, dtype=np.int32).astype(np.int64),
                     rng.integers(HOUR, 48 * HOUR, n, dtype=np.int64))
    dup_recv = np.where(dup, recv + delta, NEVER)
    return Delivery(sent=sent, recv=recv, late=late, dup_recv=dup_recv)


@dataclass
class Rows:
    ev: np.ndarray  # event index per line
    recv: np.ndarray
    day: np.ndarray  # received day (days since epoch)
    file: np.ndarray  # 0 = part-0000, 1 = the corrupt extra file


def plan_rows(w: World, d: Delivery) -> Rows:
    cut = w.cfg.cut
    main = np.flatnonzero(d.recv < cut)
    dups = np.flatnonzero(d.dup_recv < cut)
    ev = np.concatenate([main, dups]).astype(np.int64)
    recv = np.concatenate([d.recv[main], d.dup_recv[dups]])
    day = recv // DAY
    file = np.zeros(ev.size, np.int8)
    dc = w.cfg.t_end // DAY - CORRUPT_DAYS_BEFORE_END
    in_c = np.flatnonzero(day == dc)
    pick = in_c[(mix64(ev[in_c], w.cfg.seed * 17 + 5) % np.uint64(33)) == 0]
    if pick.size < 3:
        pick = in_c[:3]
    file[pick] = 1
    o = np.argsort(sort_key((day - day.min() if day.size else day, 20), (file, 1),
                            (recv % DAY, 27)), kind="stable")
    return Rows(ev=ev[o], recv=recv[o], day=day[o], file=file[o])


def _dict(indices: np.ndarray, values: list | pa.Array) -> pa.DictionaryArray:
    idx = np.asarray(indices)
    dictionary = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32), mask=idx < 0), dictionary)


def _jstr(v) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


class LineBuilder:
    """Everything needed to render events as Segment JSON lines, in chunks."""

    def __init__(self, w: World, crm: CrmKeys, d: Delivery, anon: pa.Array):
        self.w, self.d = w, d
        cfg, P, ev = w.cfg, w.people, w.ev
        rng = cfg.rng("web_lines")
        self.key = cfg.seed * 31 + 7
        # context page: the current page of each event (forward fill over the session)
        is_page = ev["etype"] == PAGE
        pos = np.maximum.accumulate(np.where(is_page, np.arange(is_page.size), 0))
        self.ctx_page = ev["page"][pos]
        del pos
        first = group_starts(ev["sess"])
        pv = np.cumsum(is_page, dtype=np.int32)
        pv_base = np.maximum.accumulate(np.where(first, pv - is_page, 0))
        self.landing = (pv - pv_base) == 1
        del pv, pv_base, first, is_page
        # static JSON fragments
        pg = w.pages
        self.page_path = [_jstr(p) for p in pg.path]
        self.page_url = [f'"{C.SHOP_URL}{p}' for p in pg.path]
        self.page_title = [_jstr(t) for t in pg.title]
        heads = {PAGE: ',"type":"page"'}
        for et in IDENTIFY_SET:
            heads[et] = ',"type":"identify"'
        for et, name in TRACK_NAMES.items():
            heads[et] = f',"type":"track","event":{_jstr(name)}'
        self.heads = [heads.get(i, "") for i in range(12)]
        self.camp_frag, self.qs, self.ref = [], [], []
        for src, med, camp, term, content, ref in w.camps.combos:
            c = {k: v for k, v in (("source", src), ("medium", med), ("name", camp),
                                   ("term", term), ("content", content)) if v}
            self.camp_frag.append(f',"campaign":{_jstr(c)}' if c else "")
            q = [(k, v) for k, v in (("utm_source", src), ("utm_medium", med),
                                     ("utm_campaign", camp), ("utm_term", term),
                                     ("utm_content", content)) if v]
            self.qs.append("?" + "&".join(f"{k}={v.replace(' ', '+')}" for k, v in q) if q
                           else "")
            self.ref.append(f',"referrer":{_jstr(ref)}' if ref else "")
        self.ua_frag = [f',"userAgent":{_jstr(ua)},"device":{{"type":"{t}"}}' for t, ua in UA_LIST]
        self.n_ua = len(UA_LIST)
        # context of non-landing events: one fragment per (page, user agent)
        self.ctx_static = pa.array([
            f'"page":{{"path":{self.page_path[p]},"url":{self.page_url[p]}","title":'
            f'{self.page_title[p]}}}{self.ua_frag[u]}}}'
            for p in range(pg.n) for u in range(self.n_ua)], pa.string())
        # properties: products, experiment variants, then one per order
        props = [_jstr({"product_id": str(PRODUCT_BASE + 1 + i), "sku": C.PRODUCT_SKUS[i],
                        "category": C.CATEGORIES[PRODUCT_CAT[i]], "price": p})
                 for i, (_, _, p) in enumerate(C.PRODUCTS)]
        props += [_jstr({"experiment_id": EXPERIMENT["experiment_id"], "variant": v})
                  for v in ("control", "treatment")]
        self.n_static_props = len(props)
        cp = w.camps.coupons
        coupon = pa.array(cp["code"]).take(pa.array(np.maximum(w.o_coupon, 0)))
        rev = pa.array(np.round(w.o_total, 2)).cast(pa.string())
        order_props = join('{"order_id":"', crm.order_id, '","revenue":', rev,
                           f',"currency":"{C.CURRENCY}"',
                           pc.if_else(pa.array(w.o_coupon >= 0), join(',"coupon":"', coupon, '"'),
                                      ""), "}")
        self.props = pa.concat_arrays([pa.array(props, pa.string()), order_props])
        web_email = mess_emails(rng, P.email, 0.08, 0.02)
        self.traits = join('{"email":"', web_email, '"}')
        junk = pa.array(C.JUNK_IDS, pa.string())
        self.anon = pa.concat_arrays([anon, junk])
        self.uids = pa.concat_arrays([P.user_id, junk])
        self.junk_anon = rng.random(ev["etype"].size, dtype=np.float32) < 0.001
        self.junk_pick = rng.integers(0, len(C.JUNK_IDS), ev["etype"].size, dtype=np.int8)
        self.con = duckdb.connect()
        self.con.execute("SET preserve_insertion_order = true")

    def _landing_ctx(self, page, src, ua):
        """Context fragments for landing events: unique (page, source, ua) combos."""
        n_src = len(self.qs)
        key = (page.astype(np.int64) * n_src + src) * self.n_ua + ua
        u = uniq_int(key)
        inv = np.searchsorted(u, key)
        up, rest = np.divmod(u, n_src * self.n_ua)
        us, uu = np.divmod(rest, self.n_ua)
        t = lambda vals, i: pa.array(vals, pa.string()).take(pa.array(i))  # noqa: E731
        frag = join('"page":{"path":', t(self.page_path, up), ',"url":', t(self.page_url, up),
                    t(self.qs, us), '"', t(self.ref, us), ',"title":', t(self.page_title, up),
                    "}", t(self.camp_frag, us), t(self.ua_frag, uu), "}")
        return frag, inv

    def lines(self, rows: Rows, idx: np.ndarray) -> pa.Array:
        """JSON lines (each ending in a newline) of the rows at positions ``idx``."""
        w, d = self.w, self.d
        S, P, ev = w.S, w.people, w.ev
        e = rows.ev[idx]
        sess = ev["sess"][e]
        et = ev["etype"][e]
        person = S.person[sess]
        dev = S.dev[sess]
        ts = ev["ts"][e]
        n_dev, n_p = P.dev_person.size, P.n
        has_uid = ts >= w.dev_uid_from[dev]
        jp = self.junk_pick[e].astype(np.int64)
        anon_idx = np.where(self.junk_anon[e] & has_uid, n_dev + jp, dev)
        uid_idx = np.where(et == IDENT_JUNK, n_p + jp, np.where(has_uid, person, -1))
        prop_idx = np.full(e.size, -1, np.int64)
        m = (et == VIEWED) | (et == ADDED)
        prop_idx[m] = ev["product"][e][m]
        m = et == EXPOSED
        prop_idx[m] = len(C.PRODUCTS) + P.exp_arm[person[m]]
        m = et == COMPLETED
        prop_idx[m] = self.n_static_props + ev["order"][e][m]
        ident = (et == IDENT_SIGNUP) | (et == IDENT_NEWSLETTER) | (et == IDENT_LOGIN)
        page = self.ctx_page[e].astype(np.int64)
        ua = P.dev_ua[dev].astype(np.int64)
        ctx_idx = page * self.n_ua + ua
        land = np.flatnonzero(self.landing[e])
        lfrag, inv = self._landing_ctx(page[land], S.src[sess[land]], ua[land])
        ctx_idx[land] = len(self.ctx_static) + inv
        ctx = pa.concat_arrays([self.ctx_static, lfrag])
        head = fixed_concat(b'{"messageId":"', hex_mat(mix64(e, self.key)), b'"')
        times = fixed_concat(b',"timestamp":"', ("iso", ts), b'","sentAt":"', ("iso", d.sent[e]),
                             b'","receivedAt":"', ("iso", rows.recv[idx]), b'"')
        t = pa.table({
            "head": head,
            "type": _dict(et, self.heads),
            "anon": _dict(anon_idx, self.anon),
            "uid": _dict(uid_idx, self.uids),
            "times": times,
            "props": _dict(prop_idx, self.props),
            "traits": _dict(np.where(ident, person, -1), self.traits),
            "ctx": _dict(ctx_idx, ctx),
        })
        self.con.register("t", t)
        out = self.con.sql("""
            select concat(head, type, ',"anonymousId":"' || anon || '"',
                          ',"userId":"' || uid || '"', times, ',"properties":' || props,
                          ',"traits":' || traits, ',"context":{', ctx, '}', chr(10)) as line
            from t""").to_arrow_table()
        self.con.unregister("t")
        return out.column(0).combine_chunks()


IDENTIFY_SET = (IDENT_SIGNUP, IDENT_NEWSLETTER, IDENT_LOGIN, IDENT_JUNK)


def _day_str(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def source_fingerprint() -> bytes:
    """Digest of the generator's own source: rendered content changes only with it."""
    h = hashlib.blake2b(digest_size=16)
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.digest()


class PartitionWriter:
    """Writes partition files in worker threads; a file is rewritten only if its content
    changed. A partition's *fingerprint* (generator source, parameters, the events and their
    receive times) identifies its content, so unchanged partitions are not even rendered."""

    def __init__(self, root: Path, manifest: dict, threads: int = 4):
        self.root = root
        self.old = manifest
        self.new: dict = {}
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=threads)
        self.futures = []

    def is_current(self, rel: str, fingerprint: str) -> bool:
        old = self.old.get(rel)
        path = self.root / rel
        if (old and old.get("fingerprint") == fingerprint and path.exists()
                and path.stat().st_size == old.get("bytes")):
            self.new[rel] = old
            self.unchanged.append(rel)
            return True
        return False

    def submit(self, rel: str, data, n_lines: int, fingerprint: str,
               truncate: float | None = None):
        self.futures.append(self.pool.submit(self._write, rel, data, int(n_lines), fingerprint,
                                             truncate))

    def _write(self, rel: str, data, n_lines: int, fingerprint: str, truncate: float | None):
        c = zlib.compressobj(1, zlib.DEFLATED, 31)
        blob = c.compress(data) + c.flush()
        if truncate is not None:
            blob = blob[: max(10, int(len(blob) * truncate))]
        self.put(rel, blob, n_lines, fingerprint)

    def put(self, rel: str, blob: bytes, n_lines: int, fingerprint: str):
        path = self.root / rel
        self.new[rel] = {"lines": n_lines, "fingerprint": fingerprint, "bytes": len(blob)}
        if path.exists() and path.stat().st_size == len(blob) and path.read_bytes() == blob:
            self.unchanged.append(rel)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
        self.written.append(rel)

    def close(self):
        for f in self.futures:
            f.result()
        self.futures = []
        self.pool.shutdown()


def _buffer_slice(arr: pa.Array, a: int, b: int) -> memoryview:
    off_t = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=off_t)[arr.offset: arr.offset + len(arr) + 1]
    return memoryview(arr.buffers()[2])[int(offsets[a]): int(offsets[b])]


def write_events(w: World, crm: CrmKeys, anon: pa.Array, root: Path, manifest: dict,
                 rel_prefix: str) -> tuple[dict, PartitionWriter]:
    """Write all partitions; return expectations (counts) and the writer (files, manifest)."""
    d = delivery(w)
    rows = plan_rows(w, d)
    writer = PartitionWriter(root, manifest)
    n = rows.ev.size
    gkey = rows.day * 2 + rows.file
    starts = np.flatnonzero(group_starts(gkey)) if n else np.zeros(0, np.int64)
    bounds = np.r_[starts, n]
    cfg = w.cfg
    fp_base = hashlib.blake2b(
        source_fingerprint() + f"|{cfg.seed}|{cfg.factor!r}|{cfg.end_date}".encode(),
        digest_size=16)
    groups = []  # (rel, start, end, fingerprint) of partitions to render
    corrupt_rel = None
    corrupt_events = np.zeros(0, np.int64)
    for k in range(starts.size):
        a, b = int(bounds[k]), int(bounds[k + 1])
        day, file = int(rows.day[a]), int(rows.file[a])
        rel = f"{rel_prefix}/dt={_day_str(day)}/part-{file:04d}.jsonl.gz"
        if file == 1:
            corrupt_rel, corrupt_events = rel, rows.ev[a:b]
        h = fp_base.copy()
        h.update(rows.ev[a:b].tobytes())
        h.update(rows.recv[a:b].tobytes())
        fp = h.hexdigest()
        if not writer.is_current(rel, fp):
            groups.append((rel, a, b, fp, file))
    lb = LineBuilder(w, crm, d, anon) if groups else None
    g = 0
    in_flight: list[list] = []  # futures per rendered chunk
    while g < len(groups):
        h = g + 1  # a chunk of whole partitions
        size = groups[g][2] - groups[g][1]
        while h < len(groups) and size + groups[h][2] - groups[h][1] <= CHUNK_ROWS:
            size += groups[h][2] - groups[h][1]
            h += 1
        idx = np.concatenate([np.arange(a, b) for _, a, b, _, _ in groups[g:h]])
        lines = lb.lines(rows, idx)
        while len(in_flight) > 1:  # at most two chunks held in memory
            for f in in_flight.pop(0):
                f.result()
        mark = len(writer.futures)
        off = 0
        for rel, a, b, fp, file in groups[g:h]:
            writer.submit(rel, _buffer_slice(lines, off, off + b - a), b - a, fp,
                          0.6 if file == 1 else None)
            off += b - a
        in_flight.append(writer.futures[mark:])
        del lines
        g = h
    # malformed lines, written with plain gzip into their own small file
    dm = w.cfg.t_end // DAY - MALFORMED_DAYS_BEFORE_END
    mal_rel = f"{rel_prefix}/dt={_day_str(dm)}/part-0001.jsonl.gz"
    base = dm * DAY + 13 * HOUR
    iso = lambda ms: np.datetime_as_string(np.datetime64(int(ms), "ms")) + "Z"  # noqa: E731
    some_anon = anon[0].as_py()
    good = {"type": "page", "anonymousId": some_anon, "timestamp": iso(base),
            "sentAt": iso(base + 400), "receivedAt": iso(base + 700),
            "context": {"page": {"path": "/", "url": f"{C.SHOP_URL}/", "title": "Northwind"}}}
    bad_lines = [
        '{"messageId":"bad-json-0001","type":"track","event":"Product Viewed","timestamp":"'
        + iso(base),
        "<html><body>502 Bad Gateway</body></html>",
        _jstr(good),
        _jstr({"messageId": "bad-ts-0001", **good, "timestamp": "2026-13-45T25:61:00Z"}),
    ]
    reasons = ["not_json", "not_json", "missing_message_id", "unparsable_timestamp"]
    malformed = []
    if dm * DAY < w.cfg.cut:
        data = ("\n".join(bad_lines) + "\n").encode()
        blob = gzip.compress(data, compresslevel=6, mtime=0)
        writer.put(mal_rel, blob, len(bad_lines),
                   hashlib.blake2b(data, digest_size=16).hexdigest())
        malformed = [{"file": mal_rel, "line": i + 1, "reason": r,
                      "message_id": ("bad-ts-0001" if r == "unparsable_timestamp" else None)}
                     for i, r in enumerate(reasons)]
    writer.close()

    readable = rows.file == 0
    seen = np.zeros(w.ev["ts"].size, bool)
    seen[rows.ev[readable]] = True
    uniq = np.flatnonzero(seen)
    corrupt_only = np.unique(corrupt_events[~seen[corrupt_events]])
    exp = {
        "rows_expected": int(uniq.size),
        "lines_in_readable_files": int(readable.sum()),
        "duplicates": int(readable.sum() - uniq.size),
        "late_events": int(d.late[uniq].sum()),
        "late_events_in_later_partition": int(
            (d.late[uniq] & ((d.recv[uniq] // DAY) > (w.ev["ts"][uniq] // DAY))).sum()),
        "corrupt_files": ([{"file": corrupt_rel, "lines": int(corrupt_events.size),
                            "events_lost": int(corrupt_only.size)}] if corrupt_rel else []),
        "malformed": malformed,
        "partitions": int(uniq_int(rows.day).size),
        "delivery": d,
        "rows": rows,
    }
    return exp, writer
