// RUN: tdopt %s -p 'convert-train-to-linalg,plan-memory{l1_budget=0},tier-tile-l1{budget=3072}' | filecheck %s

// The copy of a 3x24x24 input into the interior of its 3x26x26 padded
// buffer writes a flat output through c*676 + h*26 + w + 27. Cut into tiles
// of 6 rows (12 tiles, the fewest within 3 KiB), each tile's box is the 154
// floats from its first written element to its last (5 rows of 26 and 24),
// starting at the map's constant: 27 floats (108 bytes) into the buffer, then
// 624 bytes per 6 rows, 2704 per channel (hand-derived). Boxes counted from
// the buffer's start (27 + 154 floats) would overlap the next tile's, 156
// floats on, and no tiling would exist (issue 13, MobileNetV1 at 96x96).
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_conv2d_0_1_t1x1x1x6x24(%{{.*}}, %{{.*}}) {grid = array<i64: 3, 4, 1>, modes = array<i64: 1, 3>, steps = [array<i64: 2304, 576, 0>, array<i64: 2704, 624, 0>], boxes = [array<i64: 576, 1, 576, 1, 576>, array<i64: 616, 1, 616, 1, 616>], l1_offsets = array<i64: 0, 1192, 576, 1768>, home_offsets = array<i64: 0, 108>}
// CHECK-LABEL: func.func @k_conv2d_0_1_t1x1x1x6x24
// CHECK-SAME: (%{{.*}}: memref<1x1x1x6x24xf32>, %{{.*}}: memref<154xf32>)
func.func @main(%x: tensor<1x3x24x24xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32> {
  %y = train.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x24x24xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32>
  func.return %y : tensor<1x4x12x12xf32>
}
