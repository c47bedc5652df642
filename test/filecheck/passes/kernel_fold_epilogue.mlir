// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,kernel-fuse-consumer,plan-memory{l1_budget=0},tier-tile-l1{budget=4096},kernel-fuse-fill,kernel-fold-epilogue' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,kernel-fuse-consumer,plan-memory{l1_budget=0},tier-tile-l1{budget=4096},kernel-fuse-fill,kernel-fold-epilogue' | tdopt --split-input-file | filecheck %s
// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,kernel-fuse-consumer,plan-memory{l1_budget=0},tier-tile-l1{budget=4096 epilogues=false},kernel-fuse-fill,kernel-fold-epilogue' | filecheck %s --check-prefix=OFF

// With tier-tile-l1{epilogues=false} every kernel keeps its call.
// OFF-LABEL: func.func @dense()
// OFF:       tier.tiled_call @k_gemm_0_1_t{{[0-9x]+}}_from_fill(
// OFF-NOT:   epilogue
// OFF:       tier.tiled_call @k_gemm_0_2_fused0_t
// OFF-NOT:   cluster.epilogue

// A dense layer in 4 KiB of tiles: the product's tiles cut its columns,
// never its 24-long reduction, so the bias add and ReLU (one kernel after
// kernel-fuse-consumer) run on each output tile. The call runs a copy of
// the product's tile kernel that takes every operand of the call (the
// bias's tile and the ReLU's output after the product's) and ends with
// the ReLU kernel's loop nest as a cluster.epilogue over the output
// tile's dimensions; no epilogue kernel and no ReLU call are left. Nothing
// reads the pre-activation %y after the call: the epilogue discards it (no
// store), and its operand is used in place (mode 0), never copied.
// CHECK-LABEL: func.func @dense()
// CHECK:       tier.tiled_call @k_gemm_0_1_t16x5x24_from_fill_fused0(%{{.*}}, %{{.*}}, %[[T:.*]], %[[B:.*]], %[[Y:.*]]) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 1, 0, 1, 2>
// CHECK-NOT:   epilogue_callee
// CHECK-SAME:  : memref<16x24xf32>, memref<20x24xf32>, memref<16x20xf32>, memref<20xf32>, memref<16x20xf32>
// CHECK-NEXT:  func.return
// CHECK:       func.func @k_gemm_0_1_t16x5x24_from_fill_fused0(%[[A0:.*]]: memref<16x24xf32>, %[[A1:.*]]: memref<5x24xf32>, %[[A2:.*]]: memref<16x5xf32>, %[[A3:.*]]: memref<5xf32>, %[[A4:.*]]: memref<16x5xf32>)
// CHECK:       linalg.fill ins(%{{.*}} : f32) outs(%[[A2]] : memref<16x5xf32>)
// CHECK:       linalg.generic
// CHECK-SAME:  outs(%[[A2]] : memref<16x5xf32>)
// CHECK:       cluster.epilogue result(1) ins(%[[A3]], %[[A2]] : memref<5xf32>, memref<16x5xf32>) outs(%[[A4]] : memref<16x5xf32>) attributes {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], discard_result} {
// CHECK-NEXT:  ^{{.*}}(%[[BIAS:.*]]: f32, %[[ACC:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[ACC]], %[[BIAS]] : f32
// CHECK:         %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK-NEXT:    linalg.yield %[[R]] : f32
// CHECK-NOT:   func.func @k_gemm_0_2
func.func @dense(%x: tensor<16x24xf32>, %w: tensor<20x24xf32>, %b: tensor<20xf32>) -> tensor<16x20xf32> {
  %y = train.gemm %x, %w, %b {trans_b} : (tensor<16x24xf32>, tensor<20x24xf32>, tensor<20xf32>) -> tensor<16x20xf32>
  %z = train.relu %y : (tensor<16x20xf32>) -> tensor<16x20xf32>
  func.return %z : tensor<16x20xf32>
}

// -----

// A 256-long reduction does not fit 4 KiB whole: the tiles cut it, an
// output tile is complete only after its last reduction tile, and the
// bias add and ReLU stay a call of their own.
// CHECK-LABEL: func.func @cut()
// CHECK:       tier.tiled_call @k_gemm_0_1_t2x5x64(
// CHECK-NOT:   epilogue
// CHECK:       tier.tiled_call @k_gemm_0_2_fused0_t16x20(
// CHECK-NOT:   cluster.epilogue
func.func @cut(%x: tensor<16x256xf32>, %w: tensor<20x256xf32>, %b: tensor<20xf32>) -> tensor<16x20xf32> {
  %y = train.gemm %x, %w, %b {trans_b} : (tensor<16x256xf32>, tensor<20x256xf32>, tensor<20xf32>) -> tensor<16x20xf32>
  %z = train.relu %y : (tensor<16x20xf32>) -> tensor<16x20xf32>
  func.return %z : tensor<16x20xf32>
}

// -----

// The pre-activation %y is read after the call (by the product with %z):
// the bias add writes it in place in the epilogue, and it is copied out.
// CHECK-LABEL: func.func @kept_t()
// CHECK:       tier.tiled_call @k_gemm_0_1_t16x5x24_from_fill_fused0({{.*}}) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 1, 2, 1, 2>
// CHECK:       tier.tiled_call @k_mul_2_0
// CHECK:       cluster.epilogue result(1) ins(%{{.*}} : memref<5xf32>) outs(%{{.*}}, %{{.*}} : memref<16x5xf32>, memref<16x5xf32>) attributes {indexing_maps = [{{.*}}]} {
func.func @kept_t(%x: tensor<16x24xf32>, %w: tensor<20x24xf32>, %b: tensor<20xf32>) -> (tensor<16x20xf32>, tensor<16x20xf32>) {
  %y = train.gemm %x, %w, %b {trans_b} : (tensor<16x24xf32>, tensor<20x24xf32>, tensor<20xf32>) -> tensor<16x20xf32>
  %z = train.relu %y : (tensor<16x20xf32>) -> tensor<16x20xf32>
  %s = train.mul %y, %z : (tensor<16x20xf32>, tensor<16x20xf32>) -> tensor<16x20xf32>
  func.return %z, %s : tensor<16x20xf32>, tensor<16x20xf32>
}
