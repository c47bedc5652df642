"""The tiled-call descriptor's words follow runtime/include/tdrt_tiled.h:
the field order and flag values are read from the header, never restated."""

from __future__ import annotations

from pathlib import Path

import pytest
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, StringAttr, SymbolRefAttr, UnitAttr, i64
from xdsl.utils.exceptions import PassFailedException, VerifyException

from tdopt.dialects.cluster import TiledDescriptorOp
from tdopt.lowering.cluster_to_riscv import descriptor_words
from tdopt.runtime.tiled import HEADER, TILED, read_tiled


def _descriptor(**extra: object) -> TiledDescriptorOp:
    def arr(values: list[int]) -> DenseArrayBase:
        return DenseArrayBase.from_list(i64, values)

    props = {
        "sym_name": StringAttr("d"),
        "kernel": SymbolRefAttr("k"),
        "first_dims": arr([]),
        "grid": arr([2, 1, 1]),
        "modes": arr([1, 0]),
        "homes": ArrayAttr([SymbolRefAttr("x"), SymbolRefAttr("w")]),
        "home_offsets": arr([64, 0]),
        "l1_offsets": arr([0, 4096, 0, 0]),
        "steps": arr([4096, 0, 0, 0, 0, 0]),
        "boxes": arr([4096, 1, 4096, 1, 4096, 16, 1, 16, 1, 16]),
        **extra,
    }
    op = TiledDescriptorOp.create(properties=props)  # type: ignore[arg-type]
    op.verify()
    return op


def test_header_layout() -> None:
    # as runtime/include/tdrt_tiled.h declares them
    assert TILED.call_fields == (
        ("kernel", 1), ("first_kernel", 1), ("first_dims", 1), ("epilogue", 1), ("epilogue_dims", 1),
        ("flags", 1), ("next", 1), ("prefetch", 1), ("operands", 1), ("grid", 3), ("operand", 8),
    )
    assert [name for name, _ in TILED.operand_fields] == [
        "mode", "home", "l1", "step", "row_len", "rows", "row_stride", "planes", "plane_stride",
    ]
    assert TILED.defines["TDRT_TILED_PARALLEL"] == 1 and TILED.defines["TDRT_TILED_FIRST"] == 4
    assert TILED.defines["TDRT_TILED_EPILOGUE"] == 8 and TILED.defines["TDRT_TILED_EPILOGUE_PARALLEL"] == 16
    assert TILED.defines["TDRT_TILED_PREFETCH"] == 32 and TILED.defines["TDRT_TILE_PREFETCHED"] == 4


def test_words() -> None:
    # hand-written: kernel, no first kernel (0, mask 0), no epilogue (0,
    # mask 0), flags 1 | 4 | 2 with a forked first kernel, no next call (0,
    # mask 0), 2 operands, the grid; x (IN, home x+64, two buffers), w
    # (resident: its home twice)
    op = _descriptor(parallel=UnitAttr())
    assert descriptor_words(op) == [
        "k", "0", "0", "0", "0", "1", "0", "0", "2", "2", "1", "1",
        "1", "x+64", "__tdopt_tiles+0", "__tdopt_tiles+4096", "4096", "0", "0", "4096", "1", "4096", "1", "4096",
        "0", "w", "w", "w", "0", "0", "0", "16", "1", "16", "1", "16",
    ]
    first = _descriptor(parallel=UnitAttr(), first_kernel=SymbolRefAttr("k0"), first_parallel=UnitAttr(),
                        first_dims=DenseArrayBase.from_list(i64, [0]))
    assert descriptor_words(first)[:9] == ["k", "k0", "1", "0", "0", "7", "0", "0", "2"]
    # an epilogue after the tiles at the last index of grid dimension 1,
    # forked: flags 1 | 8 | 16
    epilogue = _descriptor(parallel=UnitAttr(), epilogue=SymbolRefAttr("ke"), epilogue_parallel=UnitAttr(),
                           epilogue_dims=DenseArrayBase.from_list(i64, [1]))
    assert descriptor_words(epilogue)[:9] == ["k", "0", "0", "ke", "2", "25", "0", "0", "2"]
    # the next call's operands 0 and 2 copied in during the last tile: flags
    # 1 | 32, next, mask 0b101
    before = _descriptor(parallel=UnitAttr(), next=SymbolRefAttr("d2"),
                         prefetch=DenseArrayBase.from_list(i64, [0, 2]))
    assert descriptor_words(before)[:9] == ["k", "0", "0", "0", "0", "33", "d2", "5", "2"]
    # x copied in by the call before: its mode word is IN | PREFETCHED
    after = _descriptor(prefetched=DenseArrayBase.from_list(i64, [0]))
    assert descriptor_words(after)[12] == "5"
    with pytest.raises(VerifyException, match="a prefetched operand must be copied in"):
        _descriptor(prefetched=DenseArrayBase.from_list(i64, [1]))
    with pytest.raises(VerifyException, match="next and prefetch go together"):
        _descriptor(next=SymbolRefAttr("d2"))


def test_order_follows_the_header(tmp_path: Path) -> None:
    text = HEADER.read_text()
    swapped = text.replace(
        "    uint32_t epilogue_dims;\n    uint32_t flags;", "    uint32_t flags;\n    uint32_t epilogue_dims;"
    )
    assert swapped != text
    header = tmp_path / "tdrt_tiled.h"
    header.write_text(swapped)
    words = descriptor_words(_descriptor(parallel=UnitAttr()), read_tiled(header))
    assert words[4:6] == ["1", "0"]  # flags, then epilogue_dims


def test_unknown_field_is_named(tmp_path: Path) -> None:
    header = tmp_path / "tdrt_tiled.h"
    header.write_text(HEADER.read_text().replace("    uint32_t flags;", "    uint32_t flags;\n    uint32_t extra;"))
    with pytest.raises(PassFailedException, match=r"tdrt_tiled_call\.extra"):
        descriptor_words(_descriptor(), read_tiled(header))
