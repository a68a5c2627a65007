"""The CX report as a Dagster asset: the dbt exposure `cx_report` (models/exposures.yml) is
materialised by building the HTML report, so lineage shows marts → published → report and
there is one asset for it, not an external exposure plus a second report asset."""

from collections.abc import Sequence

import dagster as dg

REPORT_EXPOSURE = "cx_report"
REPORT_KEY = dg.AssetKey(["exposures", REPORT_EXPOSURE])


def split_report(specs: Sequence[dg.AssetSpec]
                 ) -> tuple[dg.AssetsDefinition | None, list[dg.AssetSpec]]:
    """The report asset built from the `cx_report` exposure's spec (None when the manifest
    has no such exposure), and the other exposures, which stay external assets."""
    report = [s for s in specs if s.key == REPORT_KEY]
    return (report_asset(report[0]) if report else None,
            [s for s in specs if s.key != REPORT_KEY])


def report_asset(spec: dg.AssetSpec) -> dg.AssetsDefinition:
    @dg.multi_asset(name=REPORT_EXPOSURE, specs=[spec.replace_attributes(kinds={"plotly"})])
    def cx_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from report.build import build_report

        result = build_report()
        context.log.info(f"CX report: {result.path} ({len(result.figures)} charts)")
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "charts": sorted(result.figures),
            "rows_read": dg.MetadataValue.json(result.rows),
        })

    return cx_report
