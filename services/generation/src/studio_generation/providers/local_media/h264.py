"""A tiny H.264 encoder in pure Python: every frame an IDR picture of I_PCM macroblocks.

Browsers play H.264 (Baseline profile) in MP4 everywhere, but real H.264 needs transforms and
entropy coding far beyond a test renderer. I_PCM macroblocks are the standard's escape hatch: they
carry raw samples, so an encoder is just headers plus the frame's YCbCr 4:2:0 samples laid out
macroblock by macroblock. Files are large (about 1.5 bytes a pixel a frame) but valid, and every
decoder can play them. The same layout makes our own files trivial to decode again (`decode`),
which the video-to-video renderer uses to re-tint them.

Samples are BT.601 limited range (16..235/240), which also keeps zero bytes out of the sample
data: no emulation-prevention bytes are ever needed there.
"""

from collections.abc import Iterator, Sequence

from PIL import Image

PROFILE_IDC = 66
"""Baseline."""
CONSTRAINT_FLAGS = 0xC0
"""constraint_set0 and constraint_set1: Constrained Baseline, what every player supports."""
LEVEL_IDC = 30
"""Level 3.0: enough for the small sizes the local renderer uses."""

_MB_HEADER = b"\x0d\x00"
"""mb_type I_PCM (ue(25) = 000011010) then pcm_alignment_zero_bits, for a byte-aligned macroblock."""
_MB_BYTES = 384
"""256 luma + 64 Cb + 64 Cr samples."""

_Y_TO_LIMITED = [16 + round(v * 219 / 255) for v in range(256)]
_C_TO_LIMITED = [128 + round((v - 128) * 224 / 255) for v in range(256)]
_Y_TO_FULL = [min(255, max(0, round((v - 16) * 255 / 219))) for v in range(256)]
_C_TO_FULL = [min(255, max(0, round(128 + (v - 128) * 255 / 224))) for v in range(256)]


class _Bits:
    """Big-endian bit writer for the few header fields (Exp-Golomb codes included)."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def u(self, bits: int, value: int) -> None:
        self.value = (self.value << bits) | value
        self.count += bits

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def aligned(self, *, trailing: bool) -> bytes:
        """The bits so far, padded to a byte with the stop bit (`trailing`) or zeros."""
        if trailing:
            self.u(1, 1)
        pad = -self.count % 8
        return (self.value << pad).to_bytes((self.count + pad) // 8, "big")


def check_size(width: int, height: int) -> None:
    if width % 16 or height % 16 or width <= 0 or height <= 0:
        raise ValueError(f"{width}x{height}: both sides must be positive multiples of 16")


def sps(width: int, height: int) -> bytes:
    """The sequence parameter set NAL unit (header byte included, escaped)."""
    check_size(width, height)
    bits = _Bits()
    bits.u(8, PROFILE_IDC)
    bits.u(8, CONSTRAINT_FLAGS)
    bits.u(8, LEVEL_IDC)
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(0)  # log2_max_frame_num_minus4
    bits.ue(2)  # pic_order_cnt_type: order follows decoding order
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(width // 16 - 1)
    bits.ue(height // 16 - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    bits.u(1, 0)  # frame_cropping_flag
    bits.u(1, 1)  # vui_parameters_present_flag
    bits.u(1, 0)  # aspect_ratio_info_present_flag
    bits.u(1, 0)  # overscan_info_present_flag
    bits.u(1, 1)  # video_signal_type_present_flag
    bits.u(3, 5)  # video_format: unspecified
    bits.u(1, 0)  # video_full_range_flag: limited range
    bits.u(1, 1)  # colour_description_present_flag
    bits.u(8, 6)  # colour_primaries: SMPTE 170M (BT.601)
    bits.u(8, 6)  # transfer_characteristics
    bits.u(8, 6)  # matrix_coefficients
    bits.u(1, 0)  # chroma_loc_info_present_flag
    bits.u(1, 0)  # timing_info_present_flag (the MP4 has the timing)
    bits.u(1, 0)  # nal_hrd_parameters_present_flag
    bits.u(1, 0)  # vcl_hrd_parameters_present_flag
    bits.u(1, 0)  # pic_struct_present_flag
    bits.u(1, 1)  # bitstream_restriction_flag: tells players no frame is held back
    bits.u(1, 1)  # motion_vectors_over_pic_boundaries_flag
    bits.ue(0)  # max_bytes_per_pic_denom: no limit
    bits.ue(0)  # max_bits_per_mb_denom: no limit (PCM macroblocks are big)
    bits.ue(16)  # log2_max_mv_length_horizontal
    bits.ue(16)  # log2_max_mv_length_vertical
    bits.ue(0)  # max_num_reorder_frames
    bits.ue(1)  # max_dec_frame_buffering
    return b"\x67" + escape(bits.aligned(trailing=True))


def pps() -> bytes:
    """The picture parameter set NAL unit."""
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return b"\x68" + escape(bits.aligned(trailing=True))


def encode(frame: Image.Image, index: int) -> bytes:
    """One frame as an IDR slice NAL unit (header byte included, escaped).

    `index` is the frame's position: consecutive IDR pictures must differ in `idr_pic_id`.
    """
    width, height = frame.size
    check_size(width, height)
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I, and every slice of the picture is I
    bits.ue(0)  # pic_parameter_set_id
    bits.u(4, 0)  # frame_num
    bits.ue(index % 2)  # idr_pic_id
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off (PCM needs none)
    bits.ue(25)  # first macroblock: mb_type I_PCM
    header = bits.aligned(trailing=False)
    blocks = _macroblocks(frame.convert("RGB"))
    body = _MB_HEADER.join(blocks)
    return b"\x65" + escape(header + body + b"\x80")


def decode(nal: bytes, width: int, height: int) -> Image.Image:
    """A frame back from a slice NAL unit this module wrote (not from other H.264 streams).

    The macroblocks sit at fixed offsets from the end of the NAL unit (only the slice header
    varies in length), so no bit parsing is needed. ValueError if the layout does not match.
    """
    check_size(width, height)
    columns, rows = width // 16, height // 16
    count = columns * rows
    stride = _MB_BYTES + len(_MB_HEADER)
    start = len(nal) - 1 - _MB_BYTES - (count - 1) * stride
    if start < 2 or nal[-1] != 0x80 or nal[0] & 0x1F != 5:
        raise ValueError("not a slice written by the local H.264 encoder")
    blocks = []
    for k in range(count):
        at = start + k * stride
        if k and nal[at - 2 : at] != _MB_HEADER:
            raise ValueError("not a slice written by the local H.264 encoder")
        blocks.append(nal[at : at + _MB_BYTES])
    planes = [
        _raster([b[:256] for b in blocks], columns, rows, 16),
        _raster([b[256:320] for b in blocks], columns, rows, 8),
        _raster([b[320:] for b in blocks], columns, rows, 8),
    ]
    y = Image.frombytes("L", (width, height), planes[0]).point(_Y_TO_FULL)
    half = (width // 2, height // 2)
    cb, cr = (
        Image.frombytes("L", half, p).point(_C_TO_FULL).resize((width, height)) for p in planes[1:]
    )
    return Image.merge("YCbCr", (y, cb, cr)).convert("RGB")


def nal_units(sample: bytes) -> Iterator[bytes]:
    """The NAL units of an MP4 sample (each prefixed with its 4-byte length)."""
    at = 0
    while at + 4 <= len(sample):
        length = int.from_bytes(sample[at : at + 4], "big")
        yield sample[at + 4 : at + 4 + length]
        at += 4 + length


def escape(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes: 00 00 0x (x <= 3) becomes 00 00 03 0x."""
    out = bytearray()
    start = 0
    while True:
        found = rbsp.find(b"\x00\x00", start)
        if found < 0 or found + 2 >= len(rbsp):
            out += rbsp[start:]
            return bytes(out)
        if rbsp[found + 2] <= 3:
            out += rbsp[start : found + 2]
            out.append(3)
            start = found + 2
        else:
            out += rbsp[start : found + 3]
            start = found + 3


def _macroblocks(frame: Image.Image) -> list[bytes]:
    """The frame's 4:2:0 samples, one 384-byte I_PCM payload per macroblock in raster order."""
    width, height = frame.size
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    luma = y.point(_Y_TO_LIMITED).tobytes()
    blue = cb.resize(half, Image.Resampling.BOX).point(_C_TO_LIMITED).tobytes()
    red = cr.resize(half, Image.Resampling.BOX).point(_C_TO_LIMITED).tobytes()
    columns, rows = width // 16, height // 16
    return [
        a + b + c
        for a, b, c in zip(
            _blocks(luma, width, 16, columns, rows),
            _blocks(blue, width // 2, 8, columns, rows),
            _blocks(red, width // 2, 8, columns, rows),
            strict=True,
        )
    ]


def _blocks(plane: bytes, width: int, size: int, columns: int, rows: int) -> list[bytes]:
    """The plane cut into `size`x`size` blocks, each in raster order, blocks in raster order."""
    out = []
    for row in range(rows):
        lines = [
            plane[(row * size + r) * width : (row * size + r + 1) * width] for r in range(size)
        ]
        for column in range(columns):
            left = column * size
            out.append(b"".join(line[left : left + size] for line in lines))
    return out


def _raster(blocks: Sequence[bytes], columns: int, rows: int, size: int) -> bytes:
    """The inverse of `_blocks`."""
    lines: list[bytes] = []
    for row in range(rows):
        group = blocks[row * columns : (row + 1) * columns]
        for r in range(size):
            lines.extend(block[r * size : (r + 1) * size] for block in group)
    return b"".join(lines)
