"""Data-movement, comparison, logic and cast kernels of the C runtime (host build) against TFLM's
interpreter and LiteRT's reference kernels, bit for bit, on random shapes, axes and types; the
types TFLM refuses are refused too; and the error contract for ops nobody implements.
"""
from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.errors import ModelError
from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops_shape as S
from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant
from tandem.tinyml.tflm_ref import run_tflm_reference

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEED = st.integers(0, 2**32 - 1)
MOVE_TYPES = st.sampled_from(["int8", "int16", "float32"])  # TFLM's set for most data movement
# every type: where TFLM refuses one, check() asserts the runtime refuses it too
ALL_TYPES = st.sampled_from(["int8", "int16", "int32", "int64", "float32", "bool"])


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime()


def _reference(fn: Callable[..., list[np.ndarray]], model: bytes, inputs: list[np.ndarray]
               ) -> list[np.ndarray] | None:
    try:
        return fn(model, inputs)
    except ModelError:
        return None


def check(runtime: HostRuntime, built: tuple[bytes, list[np.ndarray]], litert: bool = True, tflm: bool = True
          ) -> None:
    """TFLM decides what is accepted; the outputs equal TFLM's and (where it runs the model) LiteRT's.

    ``tflm=False`` where TFLM's outputs are wrong (named at the call); LiteRT must then run the model.
    """
    model, inputs = built
    tflm_out = _reference(run_tflm_reference, model, inputs)
    got = runtime.run(model, inputs)
    if tflm_out is None:
        assert not got.status.ok, "TFLM refuses the model, the runtime ran it"
        return
    assert got.status.ok, got.status
    lite = _reference(run_reference, model, inputs) if litert or not tflm else None
    assert tflm or lite is not None, "no reference for the outputs"
    refs = ([tflm_out] if tflm else []) + ([lite] if lite is not None else [])
    for ref in refs:
        assert len(ref) == len(got.outputs)
        for e, g in zip(ref, got.outputs, strict=True):
            assert e.dtype == g.dtype and e.shape == g.shape, (e.dtype, g.dtype, e.shape, g.shape)
            if not np.array_equal(e, g, equal_nan=e.dtype.kind == "f"):
                bad = np.argwhere(e != g)
                raise AssertionError(f"{len(bad)} of {e.size} differ; first at {bad[0].tolist()}: "
                                     f"expected {e[tuple(bad[0])]}, got {g[tuple(bad[0])]}")


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=5)


@SETTINGS
@given(data=st.data(), seed=SEED, dtype=st.sampled_from(["int8", "int16", "int32", "int64", "float32", "bool"]))
def test_squeeze_expand_shape(runtime: HostRuntime, data: st.DataObject, seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    shape = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=5))
    ones = [i for i, d in enumerate(shape) if d == 1]
    dims = data.draw(st.lists(st.sampled_from(ones), unique=True, max_size=len(ones))) if ones else []
    check(runtime, S.squeeze(rng, shape=shape, dims=dims or None, dtype=dtype))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    if len(shape) < 6:
        check(runtime, S.expand_dims(rng, shape=shape, axis=axis, dtype=dtype))
    check(runtime, S.shape_op(rng, shape=shape, dtype=dtype))


@SETTINGS
@given(data=st.data(), seed=SEED, dtype=ALL_TYPES)
def test_transpose(runtime: HostRuntime, data: st.DataObject, seed: int, dtype: str) -> None:
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))  # 6-d: TFLM refuses
    perm = data.draw(st.permutations(list(range(len(shape)))))
    check(runtime, S.transpose(np.random.default_rng(seed), shape=shape, perm=perm, dtype=dtype))


@SETTINGS
@given(data=st.data(), seed=SEED, dtype=ALL_TYPES)
def test_split_pack_unpack(runtime: HostRuntime, data: st.DataObject, seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    shape = data.draw(shapes)
    axis = data.draw(st.integers(0, len(shape) - 1))
    num = data.draw(st.integers(1, 3))
    sshape = list(shape)
    sshape[axis] *= num
    check(runtime, S.split(rng, shape=sshape, axis=axis, num=num, dtype=dtype))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    vshape = list(shape)
    vshape[axis] = sum(sizes)
    if data.draw(st.booleans()):
        sizes[data.draw(st.integers(0, len(sizes) - 1))] = -1
    check(runtime, S.split_v(rng, shape=vshape, axis=axis, sizes=sizes, dtype=dtype))
    if len(shape) < 6:
        pack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
        check(runtime, S.pack(rng, shape=shape, count=num, axis=pack_axis, dtype=dtype))
    check(runtime, S.unpack(rng, shape=shape, axis=data.draw(st.integers(-len(shape), len(shape) - 1)), dtype=dtype))


@SETTINGS
@given(data=st.data(), seed=SEED, dtype=ALL_TYPES)
def test_gather(runtime: HostRuntime, data: st.DataObject, seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    axis = data.draw(st.integers(0, len(shape) - 1))
    bd = data.draw(st.integers(0, axis))
    index_shape = shape[:bd] + data.draw(st.lists(st.integers(1, 3), max_size=2))
    if index_shape:
        check(runtime, S.gather(rng, shape=shape, index_shape=index_shape, axis=axis, batch_dims=bd, dtype=dtype))
    depth = data.draw(st.integers(1, len(shape)))
    nd_index = data.draw(st.lists(st.integers(1, 3), max_size=2)) + [depth]
    check(runtime, S.gather_nd(rng, shape=shape, index_shape=nd_index, dtype=dtype))


@SETTINGS
@given(seed=SEED, kind=st.sampled_from(["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"]),
       b=st.integers(1, 2), h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3),
       oh=st.integers(1, 12), ow=st.integers(1, 12), mode=st.sampled_from(["none", "align", "half"]),
       dtype=ALL_TYPES)
def test_resize(runtime: HostRuntime, seed: int, kind: str, b: int, h: int, w: int, c: int, oh: int, ow: int,
                mode: str, dtype: str) -> None:
    check(runtime, S.resize(np.random.default_rng(seed), kind, shape=(b, h, w, c), size=(oh, ow),
                            align_corners=mode == "align", half_pixel_centers=mode == "half", dtype=dtype))


@st.composite
def broadcast_pair(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    out = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))

    def operand() -> list[int]:
        drop = draw(st.integers(0, len(out) - 1))
        return [1 if draw(st.booleans()) else d for d in out[drop:]]

    return operand(), operand()


COMPARISONS = ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"]


@SETTINGS
@given(seed=SEED, kind=st.sampled_from(COMPARISONS), pair=broadcast_pair(),
       dtype=st.sampled_from(["int8", "int32", "int64", "float32", "bool"]),
       q1=st.builds(Quant, st.floats(0.001, 0.9), st.integers(-128, 127)),
       q2=st.builds(Quant, st.floats(0.001, 0.9), st.integers(-128, 127)))
def test_comparisons(runtime: HostRuntime, seed: int, kind: str, pair: tuple[list[int], list[int]], dtype: str,
                     q1: Quant, q2: Quant) -> None:
    # GREATER int16 (the one int16 comparison TFLM takes) is implemented as TFLM's source has it ((q - zp)
    # << 8) but not property-tested: TFLM's PyPI build answers wrongly (measured: 10288 at scale 0.0071 >
    # -20103 at 0.0063 gives False, and varies between runs) and LiteRT scales int16 differently
    quantized = dtype == "int8"
    check(runtime, S.binary(np.random.default_rng(seed), kind, shape1=pair[0], shape2=pair[1], dtype=dtype,
                            out_dtype="bool", q1=q1 if quantized else None, q2=q2 if quantized else None,
                            int_range=3 if dtype in ("int32", "int64") else None),
          )


@SETTINGS
@given(seed=SEED, pair=broadcast_pair(), s1=st.floats(1e-4, 0.01), s2=st.floats(1e-4, 0.01))
def test_greater_int16_compares_real_values(runtime: HostRuntime, pair: tuple[list[int], list[int]], seed: int,
                                            s1: float, s2: float) -> None:
    """No reference runs int16 GREATER right (TFLM's PyPI build is wrong, LiteRT ignores the scales), so
    the answer is checked against the real values wherever they differ by more than the 1/256 grid."""
    model, (a, b) = S.binary(np.random.default_rng(seed), "GREATER", shape1=pair[0], shape2=pair[1], dtype="int16",
                             out_dtype="bool", q1=Quant(s1, 0), q2=Quant(s2, 0))
    got = runtime.run(model, [a, b])
    assert got.status.ok, got.status
    ra = a.astype(np.float64) * np.float64(np.float32(s1))
    rb = b.astype(np.float64) * np.float64(np.float32(s2))
    clear = np.abs(ra - rb) > 2.0 / 256
    assert np.array_equal(got.outputs[0][np.broadcast_to(clear, got.outputs[0].shape)],
                          (ra > rb)[np.broadcast_to(clear, got.outputs[0].shape)])


@SETTINGS
@given(seed=SEED, kind=st.sampled_from(["LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"]), pair=broadcast_pair(),
       dtype=ALL_TYPES)
def test_logical_and_select(runtime: HostRuntime, seed: int, kind: str, pair: tuple[list[int], list[int]],
                            dtype: str) -> None:
    rng = np.random.default_rng(seed)
    if kind == "LOGICAL_NOT":
        check(runtime, S.unary(rng, kind, shape=pair[0], dtype="bool"))
    else:
        check(runtime, S.binary(rng, kind, shape1=pair[0], shape2=pair[1], dtype="bool"))
    check(runtime, S.select_v2(rng, cond=pair[1], shape1=pair[0], shape2=pair[1], dtype=dtype))


CAST_TYPES = ["int8", "int16", "int32", "float32", "bool"]


@SETTINGS
@given(seed=SEED, shape=shapes, src=st.sampled_from(CAST_TYPES), dst=st.sampled_from(CAST_TYPES))
def test_cast(runtime: HostRuntime, seed: int, shape: list[int], src: str, dst: str) -> None:
    check(runtime, S.unary(np.random.default_rng(seed), "CAST", shape=shape, dtype=src, out_dtype=dst))


@SETTINGS
@given(seed=SEED, shape=shapes, kind=st.sampled_from(["ABS", "NEG"]), dtype=ALL_TYPES,
       qi=st.builds(Quant, st.floats(0.002, 0.5), st.integers(-128, 127)),
       qo=st.builds(Quant, st.floats(0.002, 0.5), st.integers(-128, 127)), same=st.booleans())
def test_abs_neg(runtime: HostRuntime, seed: int, shape: list[int], kind: str, dtype: str, qi: Quant, qo: Quant,
                 same: bool) -> None:
    if same:
        qo = qi
    if dtype == "int16":
        qi, qo = Quant(qi.scale / 100, 0), Quant(qo.scale / 100, 0)
    quantized = dtype in ("int8", "int16")
    check(runtime, S.unary(np.random.default_rng(seed), kind, shape=shape, dtype=dtype,
                           qi=qi if quantized else None, qo=qo if quantized else None))


@SETTINGS
@given(data=st.data(), seed=SEED, dtype=ALL_TYPES)
def test_space_batch_depth(runtime: HostRuntime, data: st.DataObject, seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    bs = data.draw(st.integers(1, 3))
    b, h, w, c = (data.draw(st.integers(1, 3)) for _ in range(4))
    check(runtime, S.space_depth(rng, "DEPTH_TO_SPACE", shape=(b, h, w, c * bs * bs), block=bs, dtype=dtype))
    check(runtime, S.space_depth(rng, "SPACE_TO_DEPTH", shape=(b, h * bs, w * bs, c), block=bs, dtype=dtype))
    four = data.draw(st.booleans())
    block = [data.draw(st.integers(1, 3)) for _ in range(2 if four else 1)]
    spatial = [data.draw(st.integers(1, 5)) for _ in block]
    pads = []
    for d, k in zip(spatial, block, strict=True):
        lo = data.draw(st.integers(0, 2))
        pads.append((lo, (-(d + lo)) % k + k * data.draw(st.integers(0, 1))))
    # SPACE_TO_BATCH_ND's padding: TFLM's source pads with the output zero point (as LiteRT); the PyPI
    # build writes 0 or stray bytes there (measured: int8 -96, float32 2.37e-38), so LiteRT decides padded cases
    padded = any(p != (0, 0) for p in pads)
    check(runtime, S.batch_space(rng, "SPACE_TO_BATCH_ND", shape=[b, *spatial, c], block=block, pads=pads,
                                 dtype=dtype), tflm=not padded)
    crops = [(data.draw(st.integers(0, d * k - 1)), 0) for d, k in zip(spatial, block, strict=True)]
    crops = [(lo, data.draw(st.integers(0, d * k - 1 - lo))) for (lo, _), d, k in zip(crops, spatial, block,
                                                                                     strict=True)]
    check(runtime, S.batch_space(rng, "BATCH_TO_SPACE_ND", shape=[b * int(np.prod(block)), *spatial, c],
                                 block=block, pads=crops, dtype=dtype))


@SETTINGS
@given(seed=SEED, dims=st.lists(st.integers(1, 4), max_size=4), dtype=ALL_TYPES, dims64=st.booleans())
def test_fill_zeros_like(runtime: HostRuntime, seed: int, dims: list[int], dtype: str, dims64: bool) -> None:
    rng = np.random.default_rng(seed)
    q = S.default_quant(dtype)
    check(runtime, S.fill(rng, dims=dims, dtype=dtype, dims_dtype="int64" if dims64 else "int32", q=q))
    # LiteRT's ZEROS_LIKE refuses int8, TFLM takes it: TFLM decides
    check(runtime, S.unary(rng, "ZEROS_LIKE", shape=dims or [1], dtype=dtype, qi=q, qo=q))


@SETTINGS
@given(data=st.data(), seed=SEED)
def test_reshape_concatenation_int16(runtime: HostRuntime, data: st.DataObject, seed: int) -> None:
    from tandem.tinyml.models import ops

    rng = np.random.default_rng(seed)
    shape = data.draw(shapes)
    m = ModelBuilder("reshape16")
    x = m.tensor("x", shape, "int16", scale=0.001, zero_point=0)
    y = m.tensor("y", (int(np.prod(shape)),), "int16", scale=0.001, zero_point=0)
    m.op("RESHAPE", [x, m.tensor("s", (1,), "int32", data=np.array([int(np.prod(shape))]))], [y],
         new_shape=[int(np.prod(shape))])
    m.inputs, m.outputs = [x], [y]
    check(runtime, (m.build(), [S.random_array(rng, shape, "int16")]))
    axis = data.draw(st.integers(0, len(shape) - 1))
    model, _ = ops.concatenation(rng, shapes=[shape, shape], axis=axis)
    del model
    cm = ModelBuilder("concat16")
    ins = [cm.tensor(f"in{i}", shape, "int16", scale=0.002, zero_point=0) for i in range(2)]
    oshape = list(shape)
    oshape[axis] *= 2
    out = cm.tensor("out", oshape, "int16", scale=0.002, zero_point=0)
    cm.op("CONCATENATION", ins, [out], axis=axis)
    cm.inputs, cm.outputs = ins, [out]
    check(runtime, (cm.build(), [S.random_array(rng, shape, "int16") for _ in ins]))


# -- types TFLM refuses are refused (with the tensor named) -----------------------------------------

REFUSED = [
    ("GATHER int16", lambda r: S.gather(r, shape=(4, 3), index_shape=(2,), axis=0, dtype="int16")),
    ("TRANSPOSE int32", lambda r: S.transpose(r, shape=(2, 3), perm=[1, 0], dtype="int32")),
    ("EXPAND_DIMS bool", lambda r: S.expand_dims(r, shape=(2, 3), axis=0, dtype="bool")),
    ("RESIZE_BILINEAR int16", lambda r: S.resize(r, "RESIZE_BILINEAR", shape=(1, 2, 2, 1), size=(3, 3), dtype="int16")),
    ("LESS int16", lambda r: S.binary(r, "LESS", shape1=(3,), shape2=(3,), dtype="int16", out_dtype="bool",
                                      q1=Quant(0.001, 0), q2=Quant(0.001, 0))),
    ("NEG int8", lambda r: S.unary(r, "NEG", shape=(3,), dtype="int8", qi=Quant(0.1, 0), qo=Quant(0.1, 0))),
    ("FILL int16", lambda r: S.fill(r, dims=(2,), dtype="int16", q=Quant(0.001, 0))),
    ("DEPTH_TO_SPACE int16", lambda r: S.space_depth(r, "DEPTH_TO_SPACE", shape=(1, 1, 1, 4), block=2, dtype="int16")),
    ("SELECT_V2 int32", lambda r: S.select_v2(r, cond=(3,), shape1=(3,), shape2=(3,), dtype="int32")),
    ("SHAPE int64 output", lambda r: S.shape_op(r, shape=(2, 3), out_type="int64")),
]


Maker = Callable[[np.random.Generator], tuple[bytes, list[np.ndarray]]]


@pytest.mark.parametrize("name,make", REFUSED, ids=[n for n, _ in REFUSED])
def test_refused_like_tflm(runtime: HostRuntime, name: str, make: Maker) -> None:
    model, inputs = make(np.random.default_rng(0))
    with pytest.raises(ModelError):
        run_tflm_reference(model, inputs)
    got = runtime.run(model, inputs)
    assert got.status.name == "unsupported tensor type" and got.status.op_index == 0, (name, got.status)
    assert got.status.tensor_index >= 0


# -- the error contract: an op nobody implements ---------------------------------------------------------

def _cumsum_after_copy(bad_type: bool = False) -> tuple[bytes, list[np.ndarray]]:
    """op 0..2 supported, op 3 CUMSUM; with ``bad_type`` its output has a type no kernel takes."""
    m = ModelBuilder("cumsum")
    x = m.tensor("x", (2, 3), "int8", scale=0.1, zero_point=0)
    prev = x
    for i in range(3):
        t = m.tensor(f"t{i}", (2, 3), "int8", scale=0.1, zero_point=0)
        m.op("RESHAPE", [prev], [t], new_shape=[2, 3])
        prev = t
    ax = m.tensor("axis", (), "int32", data=np.array(0))
    y = m.tensor("y", (2, 3), "int32" if bad_type else "int8", scale=0.1, zero_point=5 if bad_type else 0)
    m.op("CUMSUM", [prev, ax], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [np.zeros((2, 3), np.int8)]


def test_unsupported_builtin_named_by_name_and_index(runtime: HostRuntime) -> None:
    model, inputs = _cumsum_after_copy()
    r = runtime.run(model, inputs)
    assert r.status.name == "unsupported op" and r.status.op_index == 3 and r.status.builtin_code == 128
    assert r.status.text == "unsupported op CUMSUM (index 3)"


def test_unsupported_op_reported_before_its_tensor_checks(runtime: HostRuntime) -> None:
    # an int32 tensor with a non-zero zero point fails the tensor checks; resolution comes first
    model, inputs = _cumsum_after_copy(bad_type=True)
    r = runtime.run(model, inputs)
    assert r.status.text == "unsupported op CUMSUM (index 3)", r.status


def test_unsupported_op_reported_before_earlier_ops_checks(runtime: HostRuntime) -> None:
    # op 0 (TRANSPOSE of an int32 tensor) would fail its type check in prepare; op 1 is unknown
    m = ModelBuilder("two")
    x = m.tensor("x", (2, 3), "int32")
    t = m.tensor("t", (3, 2), "int32")
    m.op("TRANSPOSE", [x, m.tensor("perm", (2,), "int32", data=np.array([1, 0]))], [t])
    y = m.tensor("y", (3, 2), "int32")
    m.op("CUSTOM", [t], [y], custom_code="MyOp")
    m.inputs, m.outputs = [x], [y]
    r = runtime.run(m.build(), [np.zeros((2, 3), np.int32)])
    assert r.status.text == "unsupported op MyOp (index 1)", r.status
    assert r.status.builtin_code == 32


def test_custom_op_named_by_custom_code(runtime: HostRuntime) -> None:
    model, inputs = S.custom(np.random.default_rng(0), name="TFLite_Detection_PostProcess")
    r = runtime.run(model, inputs)
    assert r.status.text == "unsupported op TFLite_Detection_PostProcess (index 0)"


# -- on a simulated board: the firmware build of these kernels ---------------------------------------------

def _chain_model() -> bytes:
    """TRANSPOSE -> RESIZE_BILINEAR (half pixel) -> SPLIT -> GREATER, int8 with a bool output."""
    m = ModelBuilder("shape_chain")
    q = {"scale": 0.05, "zero_point": 3}
    x = m.tensor("x", (1, 4, 6, 2), **q)
    t = m.tensor("t", (1, 6, 4, 2), **q)
    m.op("TRANSPOSE", [x, m.tensor("perm", (4,), "int32", data=np.array([0, 2, 1, 3]))], [t])
    r = m.tensor("r", (1, 9, 7, 2), **q)
    m.op("RESIZE_BILINEAR", [t, m.tensor("size", (2,), "int32", data=np.array([9, 7]))], [r],
         half_pixel_centers=True)
    a, b = m.tensor("a", (1, 9, 7, 1), **q), m.tensor("b", (1, 9, 7, 1), **q)
    m.op("SPLIT", [m.tensor("axis", (), "int32", data=np.array(3)), r], [a, b], num_splits=2)
    y = m.tensor("y", (1, 9, 7, 1), "bool")
    m.op("GREATER", [a, b], [y])
    m.inputs, m.outputs = [x], [y, r]
    return m.build()


def _board_run(cfg, model: bytes, inputs: list[np.ndarray]):  # type: ignore[no-untyped-def]
    from tandem.machine.board import Board
    from tandem.tinyml.infer import build_runtime, infer

    board = Board.from_platform("nucleo_l4r5zi", cfg)
    image = board.load_elf(build_runtime(board.platform, cfg))
    return infer(board, image, model, inputs, model_path="<model>")


def test_chain_on_board_bit_exact(cfg) -> None:  # type: ignore[no-untyped-def]
    model = _chain_model()
    x = [S.random_array(np.random.default_rng(1), (1, 4, 6, 2), "int8")]
    r = _board_run(cfg, model, x)
    expected = run_tflm_reference(model, x)
    assert [o.dtype for o in r.outputs] == [np.bool_, np.int8]
    for e, g, lite in zip(expected, r.outputs, run_reference(model, x), strict=True):
        assert np.array_equal(e, g) and np.array_equal(lite, g)
    assert [o.op for o in r.ops] == ["TRANSPOSE", "RESIZE_BILINEAR", "SPLIT", "GREATER"]
    assert all(o.cycles > 0 for o in r.ops)
    # float bilinear on an FPU core: bit-exact only without fused multiply-adds (measured: 145 of 297 differ
    # by up to 3.6e-7 when the gnu11 build contracts)
    fmodel, fx = S.resize(np.random.default_rng(2), "RESIZE_BILINEAR", shape=(1, 5, 7, 3), size=(11, 9),
                          half_pixel_centers=True, dtype="float32")
    fr = _board_run(cfg, fmodel, fx)
    assert np.array_equal(fr.outputs[0], run_tflm_reference(fmodel, fx)[0])
    assert np.array_equal(fr.outputs[0], run_reference(fmodel, fx)[0])


def test_unsupported_op_on_board_named(cfg) -> None:  # type: ignore[no-untyped-def]
    model, inputs = _cumsum_after_copy(bad_type=True)
    with pytest.raises(ModelError, match=r"unsupported op CUMSUM \(index 3\)"):
        _board_run(cfg, model, inputs)
    model, inputs = S.custom(np.random.default_rng(0), name="MyOp")
    with pytest.raises(ModelError, match=r"unsupported op MyOp \(index 0\)"):
        _board_run(cfg, model, inputs)


# -- hostile models: the new kernels under AddressSanitizer + UBSan --------------------------------------

FUZZ_MODELS: list[tuple[str, Maker]] = [
    ("squeeze", lambda r: S.squeeze(r, shape=(1, 3, 1, 2), dims=[0], dtype="int16")),
    ("expand_dims", lambda r: S.expand_dims(r, shape=(3, 2), axis=-1)),
    ("shape_fill", lambda r: S.fill(r, dims=(2, 3), dtype="int32", dims_dtype="int64")),
    ("transpose", lambda r: S.transpose(r, shape=(2, 3, 4), perm=[2, 0, 1])),
    ("depth_to_space", lambda r: S.space_depth(r, "DEPTH_TO_SPACE", shape=(1, 2, 2, 8), block=2)),
    ("space_to_batch", lambda r: S.batch_space(r, "SPACE_TO_BATCH_ND", shape=(1, 3, 4, 2), block=[2, 2],
                                               pads=[(1, 0), (0, 0)])),
    ("batch_to_space", lambda r: S.batch_space(r, "BATCH_TO_SPACE_ND", shape=(4, 2, 2, 1), block=[2, 2],
                                               pads=[(1, 0), (0, 1)])),
    ("split_v", lambda r: S.split_v(r, shape=(2, 5), axis=1, sizes=[2, -1])),
    ("pack", lambda r: S.pack(r, shape=(2, 3), count=2, axis=1, dtype="int32")),
    ("unpack", lambda r: S.unpack(r, shape=(2, 3), axis=1)),
    ("gather", lambda r: S.gather(r, shape=(4, 3), index_shape=(2,), axis=0)),
    ("gather_nd", lambda r: S.gather_nd(r, shape=(4, 3), index_shape=(2, 2))),
    ("resize_nearest", lambda r: S.resize(r, "RESIZE_NEAREST_NEIGHBOR", shape=(1, 2, 3, 2), size=(4, 5),
                                          align_corners=True)),
    ("resize_bilinear", lambda r: S.resize(r, "RESIZE_BILINEAR", shape=(1, 2, 3, 2), size=(4, 5),
                                           half_pixel_centers=True)),
    ("greater", lambda r: S.binary(r, "GREATER", shape1=(2, 3), shape2=(3,), dtype="int8", out_dtype="bool",
                                   q1=Quant(0.05, 3), q2=Quant(0.02, -4))),
    ("select_v2", lambda r: S.select_v2(r, cond=(2, 3), shape1=(2, 3), shape2=(3,))),
    ("cast", lambda r: S.unary(r, "CAST", shape=(2, 3), dtype="float32", out_dtype="int8")),
    ("abs", lambda r: S.unary(r, "ABS", shape=(2, 3), dtype="int8", qi=Quant(0.05, 3), qo=Quant(0.03, -2))),
]


@pytest.fixture(scope="module")
def fuzz_binary() -> Path:
    from tests.fuzz_build import fuzz_binary_path

    return fuzz_binary_path()


@pytest.mark.parametrize("name,make", FUZZ_MODELS, ids=[n for n, _ in FUZZ_MODELS])
def test_sanitizer_truncation_and_corruption(fuzz_binary: Path, tmp_path: Path, name: str, make: Maker) -> None:
    """Every truncation plus 400 seeded corruptions: no out-of-bounds access, no UB."""
    model = tmp_path / f"{name}.tflite"
    model.write_bytes(make(np.random.default_rng(0))[0])
    proc = subprocess.run([str(fuzz_binary), str(model), "400", "7"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    counts = dict(line.split(": ") for line in proc.stdout.strip().splitlines())
    assert int(counts.get("status 0", 0)) >= 1  # the unmodified model ran
