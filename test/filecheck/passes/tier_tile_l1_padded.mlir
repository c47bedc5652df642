// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=3072}' | filecheck %s

// The copy of a 3x24x24 input into the interior of its 3x26x26 padded
// buffer (pads 1 on every side) writes the window (c, h + 1, w + 1): a box
// of the buffer, so each tile is copied out only (mode 2), never read in.
// Tiles of 8 rows (9 tiles within 3 KiB): 8 rows of 96 bytes, 104 bytes
// apart (a padded row), starting 27 floats (108 bytes) into the buffer; then
// 832 bytes per 8 rows, 2704 per channel (hand-derived).
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_conv2d_0_1_t1x8x24(%{{.*}}, %{{.*}}) {grid = array<i64: 3, 3, 1>, modes = array<i64: 1, 2>, steps = [array<i64: 2304, 768, 0>, array<i64: 2704, 832, 0>], boxes = [array<i64: 768, 1, 768, 1, 768>, array<i64: 96, 8, 104, 1, 768>], l1_offsets = array<i64: 0, 1536, 768, 2304>, home_offsets = array<i64: 0, 108>}
// CHECK-LABEL: func.func @k_conv2d_0_1_t1x8x24
// CHECK-SAME: (%{{.*}}: memref<1x1x8x24xf32>, %{{.*}}: memref<1x1x8x24xf32>)
func.func @main(%x: tensor<1x3x24x24xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32> {
  %y = train.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x24x24xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32>
  func.return %y : tensor<1x4x12x12xf32>
}

// -----

// Pads 1 on top and right only (3x25x25): the width is neither whole nor
// offset, so the copy writes a flat output through c*625 + h*25 + w + 25.
// Cut into tiles of 6 rows (12 tiles, the fewest within 3 KiB), each tile's
// box is the 149 floats from its first written element to its last (5 rows
// of 25 and 24), starting at the map's constant: 25 floats (100 bytes) into
// the buffer, then 600 bytes per 6 rows, 2500 per channel; the box holds
// elements no iteration writes, so it is copied in and out (mode 3)
// (hand-derived). Boxes counted from the buffer's start (25 + 149 floats)
// would overlap the next tile's, 150 floats on, and no tiling would exist
// (issue 13, MobileNetV1 at 96x96).
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_conv2d_0_1_t1x1x1x6x24(%{{.*}}, %{{.*}}) {grid = array<i64: 3, 4, 1>, modes = array<i64: 1, 3>, steps = [array<i64: 2304, 576, 0>, array<i64: 2500, 600, 0>], boxes = [array<i64: 576, 1, 576, 1, 576>, array<i64: 596, 1, 596, 1, 596>], l1_offsets = array<i64: 0, 1176, 576, 1752>, home_offsets = array<i64: 0, 100>}
// CHECK-LABEL: func.func @k_conv2d_0_1_t1x1x1x6x24
// CHECK-SAME: (%{{.*}}: memref<1x1x1x6x24xf32>, %{{.*}}: memref<149xf32>)
func.func @main(%x: tensor<1x3x24x24xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32> {
  %y = train.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 0, 0, 1>} : (tensor<1x3x24x24xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32>
  func.return %y : tensor<1x4x12x12xf32>
}
