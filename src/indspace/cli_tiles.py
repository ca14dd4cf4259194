"""矢量瓦片命令 / vector-tile commands (registered on the main app): ``indspace export-tiles``."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from indspace.core.errors import IndspaceError

FORMATS = ("pmtiles",)


def register(app: typer.Typer, db_opt: Any, default_db: str, fail: Any,
             console: Console) -> None:
    @app.command("export-tiles")
    def export_tiles(
        out: Annotated[Path, typer.Option(
            "--out", help="输出文件，如 city.pmtiles / output file, e.g. city.pmtiles")],
        fmt: Annotated[str, typer.Option(
            "--format", help="格式：pmtiles（PMTiles v3）/ format: pmtiles (PMTiles v3)")
        ] = "pmtiles",
        layers: Annotated[str, typer.Option(
            "--layers", help="图层，逗号分隔（默认四个公开图层）/ comma-separated layers "
                             "(default: the four public layers)")] = "",
        minzoom: Annotated[int | None, typer.Option(
            "--minzoom", help="最小级别（默认图层的最小级别）/ lowest zoom (default: the "
                              "layers' minzoom)")] = None,
        maxzoom: Annotated[int | None, typer.Option(
            "--maxzoom", help="最大级别（默认 14）/ highest zoom (default 14)")] = None,
        db: db_opt = default_db,
        as_json: Annotated[bool, typer.Option(
            "--json", help="输出 JSON 汇总 / print a JSON summary")] = False,
    ) -> None:
        """导出矢量瓦片包（PMTiles v3，可离线或放在静态文件服务上）/ export the vector tiles
        of the store to a PMTiles v3 archive (offline use or static hosting)."""
        from indspace.core.errors import ValidationError
        from indspace.services.tiles import LAYERS, TileService
        from indspace.store import Store

        try:
            if fmt.lower() not in FORMATS:
                raise ValidationError(
                    f"不支持的瓦片导出格式：{fmt}", f"unsupported tile export format: {fmt}",
                    where="--format", hint_zh="可用格式：" + "、".join(FORMATS),
                    hint_en="supported: " + ", ".join(FORMATS))
            names = ([s.strip() for s in layers.split(",") if s.strip()] if layers
                     else [k for k, v in LAYERS.items() if v.public])
            svc = TileService(Store.open(db), use_cache=False)
            with console.status("导出瓦片 / exporting tiles …") as status:
                def progress(done: int, total: int) -> None:
                    if done % 200 == 0 or done == total:
                        status.update(f"导出瓦片 / exporting tiles … {done:,}/{total:,}")

                summary = svc.export_pmtiles(out, names, minzoom, maxzoom, progress)
        except IndspaceError as e:
            fail(e, as_json)
            return
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
        else:
            console.print(f"已写出 / wrote {summary['out']}: {summary['tiles']:,} 个瓦片 / tiles, "
                          f"级别 / zooms {summary['minzoom']}–{summary['maxzoom']}, "
                          f"{summary['bytes'] / 2**20:.1f} MiB")
