// RUN: tdopt %s -p 'convert-train-to-linalg,plan-memory{l1_budget=0},tier-tile-l1{budget=3072}' | filecheck %s

// The copy of a 3x24x24 input into the interior of its 3x26x26 padded
// buffer writes a flat output through c*676 + h*26 + w + 27. Cut into
// half-rows of 12 floats, each tile's box is the 12 floats it writes,
// starting at the map's constant: 27 floats (108 bytes) into the buffer,
// then 48 bytes per half-row, 104 per row, 2704 per channel (hand-derived).
// Boxes counted from the buffer's start (27 + 12 floats) would overlap the
// next tile's, and no tiling would exist (issue 13, MobileNetV1 at 96x96).
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_conv2d_0_1_t1x1x1x1x12(%{{.*}}, %{{.*}}) {grid = array<i64: 3, 24, 2>, modes = array<i64: 1, 3>, steps = [array<i64: 2304, 96, 48>, array<i64: 2704, 104, 48>], boxes = [array<i64: 48, 1, 48, 1, 48>, array<i64: 48, 1, 48, 1, 48>], l1_offsets = array<i64: 0, 96, 48, 144>, home_offsets = array<i64: 0, 108>}
// CHECK-LABEL: func.func @k_conv2d_0_1_t1x1x1x1x12
// CHECK-SAME: (%{{.*}}: memref<1x1x1x1x12xf32>, %{{.*}}: memref<12xf32>)
func.func @main(%x: tensor<1x3x24x24xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32> {
  %y = train.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x24x24xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x12x12xf32>
  func.return %y : tensor<1x4x12x12xf32>
}
