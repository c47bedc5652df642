"""Downstream fixes of xDSL 0.74 bugs that tdopt's pipelines hit.

xDSL's riscv canonicalization folds constants into 12-bit immediates without
checking their range (`add x, 2048` becomes `addi x, 2048`, `lw` offsets are
summed past 2047), and the IR then fails to verify. Large strides and
offsets are common in real tensors, so tdopt guards those patterns: a fold
whose immediate would not fit is skipped (the constant stays in a register).

xDSL 0.74 also has no custom syntax for `memref.global`, the form upstream
MLIR prints (`memref.global "public" @x : memref<4xf32> = dense<...>`, the
initial value without its type, which is implied by the memref's); `apply()`
lets the parser read it, so IR that went through upstream MLIR (mlir-opt,
iree-opt, the Python bindings) parses back. Printing is unchanged (generic),
which upstream reads as well. The same for `memref.memory_space_cast`
(`memref.memory_space_cast %x : memref<4xf32, #tier.space<l1>> to
memref<4xf32>`: how plan-memory's casts come back from upstream).

xDSL's `convert-func-to-riscv-func` drops a function's location and
attributes; `apply()` keeps the location and tdopt's `cluster.kernel` on the
`riscv_func.func`, so that a failure of a kernel at the RISC-V level (it
running out of registers) is reported at the op it was lowered from.

One more is for speed, not correctness: `Operation.get_trait` and
`get_traits_of_type` scan an op class's traits with `isinstance` on every
call, and the rewrite driver asks them for every op it visits (dead-code
checks, canonicalization); a large step's lowering made two million such
calls. `apply()` memoizes them per (op class, trait), keyed on the class's
trait set so that a trait added later is seen (about 8 % of the RISC-V
lowering's time); `get_effects`, which those dead-code checks call for
every op, looks an op class's effect traits up once and answers "none" for
classes that are pure. Whether an op could die is answered without building
the effect set of a whole loop nest, region DCE does not repeat a pass that
cannot change anything, and canonicalize builds each op class's patterns
once (`_fast_dead_checks`, `_canonicalization_per_class`; the answers and
the IR are xDSL's, test/lowering/test_xdsl_fixes_dce.py).

xDSL 0.74 prints `linalg.matmul` without its `indexing_maps`: a transposed
matmul (`x W^T`, a Linear layer) printed and parsed back would be an
untransposed one. `apply()` prints them when they are not the default, in
upstream MLIR's syntax (`linalg.matmul indexing_maps = [...] ins(...)
outs(...)`), and the parser reads that syntax back.

`apply()` is idempotent and called by tdopt's drivers and pipelines.
"""

from __future__ import annotations

from xdsl.dialects import memref, riscv
from xdsl.dialects.linalg.ops import MatmulOp
from xdsl.dialects.builtin import AffineMapAttr, ArrayAttr, IntegerAttr, MemRefType, StringAttr, TensorType, UnitAttr
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.ir import OpResult, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.transforms.canonicalization_patterns import riscv as patterns
from xdsl.transforms.canonicalization_patterns.riscv import get_constant_value

from tdopt.analyses.riscv_immediates import fits_si12, immediate
from tdopt.dialects.cluster import KERNEL

_applied = False


def _const(v: SSAValue) -> int | None:
    c = get_constant_value(v)
    return None if c is None else c.value.data


def _addi_offset(v: SSAValue) -> int | None:
    return immediate(v.op) if isinstance(v, OpResult) and isinstance(v.op, riscv.AddiOp) else None


def _guard(cls: type, ok) -> None:
    original = cls.match_and_rewrite

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        if ok(op):
            original(self, op, rewriter)

    cls.match_and_rewrite = match_and_rewrite


def _add_ok(op: riscv.AddOp) -> bool:
    lhs, rhs = _const(op.rs1), _const(op.rs2)
    if lhs is not None and rhs is not None:
        return True  # folds to `li`, any 32-bit value
    imm = lhs if lhs is not None else rhs
    return imm is None or fits_si12(imm)


def _sub_ok(op: riscv.SubOp) -> bool:
    lhs, rhs = _const(op.rs1), _const(op.rs2)
    if lhs is not None and rhs is not None:
        return True
    return rhs is None or fits_si12(-rhs)


def _mem_ok(op) -> bool:
    base = _addi_offset(op.rs1)
    imm = op.immediate
    if base is None or not isinstance(imm, IntegerAttr):
        return True
    return fits_si12(base + imm.value.data)


def _parse_memref_global(cls: type[memref.GlobalOp], parser: Parser) -> memref.GlobalOp:
    """MLIR's syntax: `memref.global ("public"|"private"|"nested")? constant?
    @name : memref-type (= (uninitialized | elements-attr))? (alignment = N)?
    attr-dict`. No visibility means public (MLIR's default); `uninitialized`
    is the unit attribute, as in xDSL's form; a declaration (no `=`) is an
    error, since xDSL's op cannot hold one."""
    visibility = parser.parse_optional_str_literal() or "public"
    constant = UnitAttr() if parser.parse_optional_keyword("constant") else None
    name = parser.parse_symbol_name()
    parser.parse_punctuation(":")
    t = parser.parse_type()
    if not isinstance(t, MemRefType):
        parser.raise_error(f"memref.global: expected a memref type, got {t}")
    init = UnitAttr()
    if parser.parse_optional_punctuation("=") is None:
        # xDSL's memref.global always has an initial value (or `uninitialized`)
        parser.raise_error(
            f"memref.global @{name.data}: an external declaration (no `= ...`) "
            "cannot be represented in xDSL; give it `= uninitialized` or a value"
        )
    if not parser.parse_optional_keyword("uninitialized"):
        if parser.parse_optional_keyword("dense"):
            # the value's type is the memref's as a tensor (MLIR prints it without)
            init = parser.parse_dense_int_or_fp_elements_attr(
                TensorType(t.element_type, t.get_shape())
            )
        else:
            init = parser.parse_attribute()
    alignment = None
    if parser.parse_optional_keyword("alignment"):
        parser.parse_punctuation("=")
        alignment = parser.parse_integer()
    op = memref.GlobalOp.get(name, t, init, StringAttr(visibility), constant, alignment)
    extra = parser.parse_optional_attr_dict()
    op.attributes.update(extra)
    return op


def _parse_memory_space_cast(
    cls: type[memref.MemorySpaceCastOp], parser: Parser
) -> memref.MemorySpaceCastOp:
    """MLIR's syntax: `memref.memory_space_cast %src : src-type to
    dest-type attr-dict`."""
    source = parser.parse_unresolved_operand()
    parser.parse_punctuation(":")
    source_type = parser.parse_type()
    parser.parse_keyword("to")
    dest = parser.parse_type()
    if not isinstance(dest, MemRefType):
        parser.raise_error(f"memref.memory_space_cast: expected a memref type, got {dest}")
    op = memref.MemorySpaceCastOp(parser.resolve_operand(source, source_type), dest)
    op.attributes.update(parser.parse_optional_attr_dict())
    return op


def _memoize_traits() -> None:
    from xdsl.ir import Operation

    get_trait = Operation.get_trait.__func__  # type: ignore[attr-defined]
    of_type = Operation.get_traits_of_type.__func__  # type: ignore[attr-defined]
    # (class, trait, query) -> (the class's trait set when computed, answer)
    memo: dict[tuple[type, object, bool], tuple[frozenset, object]] = {}

    def cached(query: bool, compute):
        def lookup(cls, trait):
            traits = cls.traits.traits
            key = (cls, trait, query)
            try:
                hit = memo.get(key)
            except TypeError:  # an unhashable trait instance: not memoized
                return compute(cls, trait)
            if hit is not None and hit[0] is traits:
                return hit[1]
            answer = compute(cls, trait)
            memo[key] = (traits, answer)
            return answer

        return classmethod(lookup)

    Operation.get_trait = cached(False, get_trait)  # type: ignore[method-assign]
    Operation.get_traits_of_type = cached(True, of_type)  # type: ignore[method-assign]




# op class -> (its trait set when computed, its MemoryEffect traits, pure?)
_EFFECT_TRAITS: dict[type, tuple[frozenset, tuple, bool]] = {}


def _effect_traits(cls: type) -> tuple[tuple, bool]:
    """The MemoryEffect traits of op class `cls`, and whether they all are
    NoMemoryEffect's own (the class has no effects), looked up once per
    class (again if the class's trait set changes)."""
    known = cls.traits.traits
    hit = _EFFECT_TRAITS.get(cls)
    if hit is None or hit[0] is not known:
        from xdsl import traits

        none = traits.NoMemoryEffect.get_effects.__func__  # type: ignore[attr-defined]
        found = tuple(t for t in known if isinstance(t, traits.MemoryEffect))
        pure = bool(found) and all(getattr(type(t).get_effects, "__func__", None) is none for t in found)
        hit = (known, found, pure)
        _EFFECT_TRAITS[cls] = hit
    return hit[1], hit[2]


def _fast_effects() -> None:
    """`xdsl.traits.get_effects` asks an op's class for its MemoryEffect
    traits twice per call, and the dead-code checks of every rewrite ask it
    for every op visited (a million calls in a large step). The traits are
    looked up once per class (`_effect_traits`); an op whose only effect
    trait is NoMemoryEffect has no effects, without asking the trait.
    Modules that imported the function by name get this one."""
    import sys

    from xdsl import traits

    original = traits.get_effects
    if getattr(original, "_tdopt", False):
        return

    def get_effects(op):
        found, pure = _effect_traits(type(op))
        if pure:
            return set()
        if not found:
            return None
        effects = set()
        for trait in found:
            more = trait.get_effects(op)
            if more is None:
                return None
            effects.update(more)
        return effects

    get_effects.__doc__ = original.__doc__
    get_effects._tdopt = True  # type: ignore[attr-defined]
    for module in list(sys.modules.values()):
        if getattr(module, "get_effects", None) is original:
            module.get_effects = get_effects  # type: ignore[attr-defined]
    traits.get_effects = get_effects


def _fast_dead_checks() -> None:
    """Whether an op with regions (a loop, a function) could die is asked of
    the union of every nested op's effects: xDSL builds that set in full,
    so the dead-code checks of a rewrite walk a whole loop nest once per
    loop level per visit, and canonicalize's region DCE repeats that until
    nothing changes (a third of canonicalize's time on a large step). Here
    the same question is answered op by op, stopping at the first effect
    that is neither a read nor an allocation of a value defined inside (a
    store: the answer is no), last ops first (where loop bodies store).
    Region DCE propagates liveness until nothing changes, at least twice:
    an op found able to die is not asked again (the IR does not change
    meanwhile), and in regions of one block the first pass is final. The
    answers are xDSL's."""
    from xdsl import traits
    from xdsl.analysis import liveness_analysis
    from xdsl.ir import Operation, SSAValue
    from xdsl.backend.register_type import RegisterAllocatedMemoryEffect, RegisterType
    from xdsl.ir.post_order import PostOrderIterator
    from xdsl.transforms import canonicalize
    from xdsl.transforms import dead_code_elimination as dce

    if getattr(dce.would_be_trivially_dead, "_tdopt", False):
        return
    read, alloc = traits.MemoryEffectKind.READ, traits.MemoryEffectKind.ALLOC
    recursive = traits.RecursiveMemoryEffect.get_effects.__func__  # type: ignore[attr-defined]
    registers = RegisterAllocatedMemoryEffect.get_effects.__func__  # type: ignore[attr-defined]
    terminator, symbol = traits.IsTerminator, traits.SymbolOpInterface

    def quiet(root: Operation, op: Operation) -> bool:
        """Whether every effect of `op` (nested ops' included) is a read
        or an allocation of a value defined in `root`."""
        found, pure = _effect_traits(type(op))
        if pure:
            return True
        if not found:
            return False  # unknown effects
        for trait in found:
            method = getattr(type(trait).get_effects, "__func__", None)
            if method is registers:
                # reads of its operands, writes of its results' registers
                # once allocated (none before allocation)
                for r in op.results:
                    if isinstance(t := r.type, RegisterType) and t.is_allocated:
                        return False
                continue
            if method is recursive:
                for region in reversed(op.regions):
                    for block in reversed(region.blocks):
                        for child in reversed(block.ops):
                            if not quiet(root, child):
                                return False
                continue
            effects = trait.get_effects(op)
            if effects is None:
                return False
            for e in effects:
                if e.kind is read:
                    continue
                if e.kind is alloc and isinstance(v := e.value, SSAValue) and root.is_ancestor(v.owner):
                    continue
                return False
        return True

    def result_only_effects(root: Operation) -> bool:
        return quiet(root, root)

    def would_be_trivially_dead(op: Operation) -> bool:
        return (
            not op.has_trait(terminator, value_if_unregistered=False)
            and not op.has_trait(symbol, value_if_unregistered=False)
            and quiet(op, op)
        )

    def propagate_op_liveness(self, op: Operation) -> None:
        for region in op.regions:
            self.propagate_region_liveness(region)
        if self.is_live(op):
            return
        able = self.__dict__.setdefault("_tdopt_able_to_die", set())
        if op not in able:
            if not would_be_trivially_dead(op):
                self.set_live(op)
                return
            able.add(op)
        if any(self.is_live(use.operation) for result in op.results for use in result.uses):
            self.set_live(op)

    def propagate_region_liveness(self, region) -> None:
        first = region.first_block
        if first is None:
            return
        if first.next_block is not None:
            self.__dict__["_tdopt_blocks"] = True
        for block in PostOrderIterator(first):
            for operation in reversed(block.ops):
                propagate_op_liveness(self, operation)

    def region_dce(region, listener=None) -> bool:
        # In regions of one block each (structured control flow) a value's
        # users all come after it, or inside ops that do: one pass in
        # reverse order has seen every user's liveness before deciding an
        # op, so a second pass would change nothing. Branches between
        # blocks (a loop's back edge) need passes until nothing changes.
        live_set = dce.LiveSet()
        while live_set.changed:
            live_set.changed = False
            propagate_region_liveness(live_set, region)
            if not live_set.__dict__.get("_tdopt_blocks", False):
                live_set.changed = False
                break
        live_set.delete_dead(region, listener)
        return live_set.changed

    would_be_trivially_dead._tdopt = True  # type: ignore[attr-defined]
    dce.region_dce = region_dce
    canonicalize.region_dce = region_dce  # type: ignore[attr-defined]
    dce.LiveSet.propagate_region_liveness = propagate_region_liveness  # type: ignore[method-assign]
    dce.result_only_effects = result_only_effects
    dce.would_be_trivially_dead = would_be_trivially_dead
    liveness_analysis.would_be_trivially_dead = would_be_trivially_dead  # type: ignore[attr-defined]
    dce.LiveSet.propagate_op_liveness = propagate_op_liveness  # type: ignore[method-assign]


def _canonicalization_per_class() -> None:
    """xDSL's canonicalize asks every op it visits for its canonicalization
    traits, has each build its patterns anew (importing their module on
    every call) and wraps them in a new pattern applier: about a fifth of
    canonicalize's time. The patterns (stateless) and their applier are
    built once per op class here (again if the class's trait set changes)."""
    from xdsl.pattern_rewriter import GreedyRewritePatternApplier
    from xdsl.traits import HasCanonicalizationPatternsTrait
    from xdsl.transforms.canonicalize import CanonicalizationRewritePattern

    cls = CanonicalizationRewritePattern
    if getattr(cls.match_and_rewrite, "_tdopt", False):
        return
    # op class -> (its trait set when computed, the pattern or applier to run)
    memo: dict[type, tuple[frozenset, object]] = {}

    def match_and_rewrite(self, op, rewriter, /) -> None:
        op_cls = type(op)
        known = op_cls.traits.traits
        hit = memo.get(op_cls)
        if hit is None or hit[0] is not known:
            traits = op.get_traits_of_type(HasCanonicalizationPatternsTrait)
            patterns = tuple(p for t in traits for p in t.get_patterns(op_cls))
            run = None
            if len(patterns) == 1:
                run = patterns[0]
            elif patterns:
                run = GreedyRewritePatternApplier(list(patterns))
            hit = (known, run)
            memo[op_cls] = hit
        if hit[1] is not None:
            hit[1].match_and_rewrite(op, rewriter)

    match_and_rewrite._tdopt = True  # type: ignore[attr-defined]
    cls.match_and_rewrite = match_and_rewrite  # type: ignore[method-assign]


def _op_types(pattern) -> tuple[type, ...] | None:
    """The op classes `pattern` can match, if its match_and_rewrite is an
    `@op_type_rewrite_pattern` or one of xDSL's arith lowerings
    parameterised by op class (None: any op)."""
    from types import UnionType
    from typing import Union, get_args, get_origin

    from xdsl.backend.riscv.lowering.convert_arith_to_riscv import (
        LowerBinaryFloatOp,
        LowerBinaryIntegerOp,
    )

    if type(pattern) in (LowerBinaryIntegerOp, LowerBinaryFloatOp):
        # xDSL's parameterised arith lowerings: their match_and_rewrite
        # starts with `if not isinstance(op, self.arith_op_cls): return`
        return (pattern.arith_op_cls,)
    impl = getattr(type(pattern), "match_and_rewrite", None)
    code = getattr(impl, "__code__", None)
    if code is None or not impl.__qualname__.startswith("op_type_rewrite_pattern."):
        return None
    if "expected_type" not in code.co_freevars or impl.__closure__ is None:
        return None
    expected = impl.__closure__[code.co_freevars.index("expected_type")].cell_contents
    return get_args(expected) if get_origin(expected) in (Union, UnionType) else (expected,)


def _dispatch_patterns() -> None:
    """xDSL's GreedyRewritePatternApplier offers every op to each of its
    patterns in turn, and most patterns start by checking the op's class
    (`@op_type_rewrite_pattern`): a conversion of 30 patterns made 2.6
    million such calls in a large step. Here each applier asks only the
    patterns that can match the op's class (the rest would return at once),
    in their order, as MLIR's pattern applicator does by op name; the first
    that rewrites wins as before, and dead-code removal and folding come
    first as before."""
    from xdsl.pattern_rewriter import GreedyRewritePatternApplier, PatternRewriter
    from xdsl.ir import Operation
    from xdsl.traits import ConstantLike, HasFolder
    from xdsl.transforms.dead_code_elimination import is_trivially_dead

    cls = GreedyRewritePatternApplier
    if getattr(cls.match_and_rewrite, "_tdopt", False):
        return

    def candidates(self, op_cls: type) -> tuple:
        patterns = self.rewrite_patterns
        table = self.__dict__.get("_tdopt_by_class")
        if table is None or table[0] is not patterns or table[1] != len(patterns):
            typed = [(p, _op_types(p)) for p in patterns]
            table = (patterns, len(patterns), {}, typed)
            self.__dict__["_tdopt_by_class"] = table
        hit = table[2].get(op_cls)
        if hit is None:
            hit = tuple(p for p, types in table[3] if types is None or issubclass(op_cls, types))
            table[2][op_cls] = hit
        return hit

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if self.dce_enabled and is_trivially_dead(op):
            rewriter.erase(op)
            return
        if (
            self.folding_enabled
            and op.has_trait(HasFolder, value_if_unregistered=False)
            and not op.has_trait(ConstantLike, value_if_unregistered=True)
        ):
            from xdsl.folder import Folder

            if self.ctx is None:
                raise ValueError("Context is required for folding")
            folded = Folder(self.ctx).try_fold(op)
            if folded is not None:
                values, ops = folded
                rewriter.replace(op, new_ops=ops, new_results=values)
                return
        for pattern in candidates(self, type(op)):
            pattern.match_and_rewrite(op, rewriter)
            if rewriter.has_done_action:
                return

    match_and_rewrite._tdopt = True  # type: ignore[attr-defined]
    cls.match_and_rewrite = match_and_rewrite  # type: ignore[method-assign]


def loop_carried_chain(block_arg: SSAValue, yielded: SSAValue) -> list[SSAValue] | None:
    """The values from a loop-carried block argument to the value the loop
    yields for it when each is the only operand use of the op defining the
    next (an accumulator updated `u` times per iteration by an unrolled
    body), else None."""
    chain = [block_arg]
    v = block_arg
    while v is not yielded:
        uses = list(v.uses)
        if len(uses) != 1:
            return None
        user = uses[0].operation
        if user.parent_block() is not block_arg.owner or len(user.results) != 1:
            return None
        if sum(1 for o in user.operands if o is v) != 1:
            return None
        v = user.results[0]
        if type(v.type) is not type(block_arg.type):
            return None
        chain.append(v)
    return chain


def _coalesce_loop_chains() -> None:
    """xDSL's allocation of a `riscv_scf.for` gives each loop-carried value
    one register, reserved for the whole body; a value computed from it
    and passed on (the partial sums of an unrolled accumulation) gets
    another. Values along such a chain are live one after another, so they
    take the loop-carried register too: an accumulation unrolled u times
    needs no more registers than one step."""
    from xdsl.dialects import riscv_scf

    original = riscv_scf.ForRofOperation.allocate_registers

    def allocate_registers(self, allocator) -> None:
        yield_op = self.body.block.last_op
        for block_arg, operand, yielded, result in zip(
            self.body.block.args[1:], self.iter_args, yield_op.operands, self.results
        ):
            chain = loop_carried_chain(block_arg, yielded)
            if chain is not None and len(chain) > 2:
                # the loop's own four first: the register they may already have
                allocator.allocate_values_same_reg((block_arg, operand, yielded, result, *chain[1:-1]))
        original(self, allocator)

    riscv_scf.ForRofOperation.allocate_registers = allocate_registers  # type: ignore[method-assign]


def _keep_kernel_origin(cls: type) -> None:
    original = cls.match_and_rewrite

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        block, prev = op.parent_block(), op.prev_op
        location, kernel = op.location, op.attributes.get(KERNEL)
        original(self, op, rewriter)
        new = prev.next_op if prev is not None else (block.first_op if block is not None else None)
        if new is not None and new is not op and new.name == "riscv_func.func":
            new.location = location
            if kernel is not None:
                new.attributes[KERNEL] = kernel

    cls.match_and_rewrite = match_and_rewrite


def _matmul_maps_syntax() -> None:
    cls = MatmulOp
    default = cls.get_irdl_definition().properties["indexing_maps"].default_value
    original_print, original_parse = cls.print, cls.parse.__func__

    def print_(self: MatmulOp, printer: Printer) -> None:
        if self.indexing_maps != default:
            printer.print_string(" indexing_maps = ")
            printer.print_attribute(self.indexing_maps)
        original_print(self, printer)

    def parse(cls_: type[MatmulOp], parser: Parser) -> MatmulOp:
        maps = None
        if parser.parse_optional_keyword("indexing_maps"):
            parser.parse_punctuation("=")
            pos = parser.pos
            maps = parser.parse_attribute()
            if not (isinstance(maps, ArrayAttr) and all(isinstance(m, AffineMapAttr) for m in maps.data)):
                parser.raise_error("indexing_maps must be an array of affine maps", pos, parser.pos)
        op = original_parse(cls_, parser)
        if maps is not None:
            op.properties["indexing_maps"] = maps
        return op

    cls.print = print_  # type: ignore[method-assign]
    cls.parse = classmethod(parse)  # type: ignore[method-assign]


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _memoize_traits()
    _fast_effects()
    _fast_dead_checks()
    _canonicalization_per_class()
    _dispatch_patterns()
    _coalesce_loop_chains()
    _matmul_maps_syntax()
    memref.GlobalOp.parse = classmethod(_parse_memref_global)  # type: ignore[method-assign]
    memref.MemorySpaceCastOp.parse = classmethod(_parse_memory_space_cast)  # type: ignore[method-assign]
    _guard(patterns.AddImmediates, _add_ok)
    _guard(patterns.SubImmediates, _sub_ok)
    from xdsl.backend.riscv.lowering.convert_func_to_riscv_func import LowerFuncOp

    _keep_kernel_origin(LowerFuncOp)
    for name in (
        "LoadWordWithKnownOffset",
        "StoreWordWithKnownOffset",
        "LoadFloatWordWithKnownOffset",
        "StoreFloatWordWithKnownOffset",
        "LoadDoubleWithKnownOffset",
        "StoreDoubleWithKnownOffset",
    ):
        _guard(getattr(patterns, name), _mem_ok)
