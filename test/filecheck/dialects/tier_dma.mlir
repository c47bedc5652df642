// #tier.space and the DMA ops round-trip; every verifier message of
// tier.dma_start comes with the location of the op.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s --check-prefix=RT
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

// RT-LABEL: func.func @forms
// RT-NEXT: %0 = tier.dma_start %a to %b : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
// RT-NEXT: %1 = tier.dma_start %a to %b bytes 128 : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
// RT-NEXT: %2 = tier.dma_start %b to %a bytes 32 rows 4 src_stride 32 dst_stride 64 : memref<64xf32, #tier.space<l1>> to memref<64xf32, #tier.space<l2>>
// RT-NEXT: %3 = tier.dma_start %v to %t : memref<4x8xf32, strided<[16, 1], offset: 36>, #tier.space<l3>> to memref<4x8xf32, #tier.space<l1>>
// RT-NEXT: %4 = tier.dma_start %x to %y : memref<16xi32> to memref<16xi32>
// RT-NEXT: %5 = tier.dma_start %a to %c : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l3>>
// RT-NEXT: tier.dma_wait %0
// RT-NEXT: tier.dma_wait_all
func.func @forms(%a: memref<64xf32, #tier.space<l2>>, %b: memref<64xf32, #tier.space<l1>>, %v: memref<4x8xf32, strided<[16, 1], offset: 36>, #tier.space<l3>>, %t: memref<4x8xf32, #tier.space<l1>>, %x: memref<16xi32>, %y: memref<16xi32>, %c: memref<64xf32, #tier.space<l3>>) {
  %0 = tier.dma_start %a to %b : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
  %1 = tier.dma_start %a to %b bytes 128 : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
  %2 = tier.dma_start %b to %a bytes 32 rows 4 src_stride 32 dst_stride 64 : memref<64xf32, #tier.space<l1>> to memref<64xf32, #tier.space<l2>>
  %3 = tier.dma_start %v to %t : memref<4x8xf32, strided<[16, 1], offset: 36>, #tier.space<l3>> to memref<4x8xf32, #tier.space<l1>>
  %4 = tier.dma_start %x to %y : memref<16xi32> to memref<16xi32>
  %5 = tier.dma_start %a to %c : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l3>>
  tier.dma_wait %0
  tier.dma_wait_all
  func.return
}
// -----
func.func @element_bytes(%a: memref<8xi1>, %b: memref<8xi1, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the source element type i1 has no byte size
  %0 = tier.dma_start %a to %b : memref<8xi1> to memref<8xi1, #tier.space<l1>>
  func.return
}
// -----
func.func @dynamic_shape(%a: memref<?xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the source memref<?xf32> needs a static shape
  %0 = tier.dma_start %a to %b : memref<?xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @dynamic_stride(%a: memref<8xf32>, %b: memref<8xf32, strided<[?]>, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the destination memref<8xf32, strided<[?]>, #tier.space<l1>> needs a strided layout with static strides >= 0
  %0 = tier.dma_start %a to %b : memref<8xf32> to memref<8xf32, strided<[?]>, #tier.space<l1>>
  func.return
}
// -----
func.func @foreign_space(%a: memref<8xf32, 1>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the source memory space must be #tier.space<l1|l2|l3> or none, got 1 : i64
  %0 = tier.dma_start %a to %b : memref<8xf32, 1> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @element_types(%a: memref<8xf32>, %b: memref<8xi32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: element types differ: f32 to i32
  %0 = tier.dma_start %a to %b : memref<8xf32> to memref<8xi32, #tier.space<l1>>
  func.return
}
// -----
func.func @both_l1(%a: memref<8xf32, #tier.space<l1>>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: moves L1 to L1; the two sides must be in different tiers
  %0 = tier.dma_start %a to %b : memref<8xf32, #tier.space<l1>> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @rows_without_bytes(%a: memref<8xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: `rows` needs `bytes` (the length of a row)
  %0 = tier.dma_start %a to %b rows 2 src_stride 16 dst_stride 16 : memref<8xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @zero_bytes(%a: memref<8xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: bytes and rows must be positive, got bytes 0, rows 1
  %0 = tier.dma_start %a to %b bytes 0 : memref<8xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @negative_stride(%a: memref<8xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: strides must be >= 0
  %0 = tier.dma_start %a to %b bytes 8 rows 2 src_stride -8 dst_stride 8 : memref<8xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @partial_element(%a: memref<8xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: bytes 6 is not a multiple of the element size (4 bytes)
  %0 = tier.dma_start %a to %b bytes 6 : memref<8xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @overlap(%a: memref<8xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: destination rows overlap (dst_stride 4 < bytes 8)
  %0 = tier.dma_start %a to %b bytes 8 rows 2 src_stride 8 dst_stride 4 : memref<8xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @explicit_strided(%a: memref<4x4xf32, strided<[8, 1]>>, %b: memref<16xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: with explicit sizes the source must be contiguous, got memref<4x4xf32, strided<[8, 1]>> (leave the sizes out to copy a strided view)
  %0 = tier.dma_start %a to %b bytes 64 : memref<4x4xf32, strided<[8, 1]>> to memref<16xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @too_long(%a: memref<64xf32>, %b: memref<8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the transfer reaches 64 bytes into the destination, which has 32
  %0 = tier.dma_start %a to %b bytes 64 : memref<64xf32> to memref<8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @too_many_rows(%a: memref<64xf32>, %b: memref<16xf32, #tier.space<l1>>) {
  // 3 rows 64 bytes apart from the start of a 256-byte source: 144 bytes,
  // fine; 5 rows: 4 x 64 + 16 = 272 bytes
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the transfer reaches 272 bytes into the source, which has 256
  %0 = tier.dma_start %a to %b bytes 16 rows 5 src_stride 64 dst_stride 16 : memref<64xf32> to memref<16xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @shapes(%a: memref<64xf32>, %b: memref<8x8xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: shapes differ ([64] to [8, 8]); give `bytes` for a partial copy
  %0 = tier.dma_start %a to %b : memref<64xf32> to memref<8x8xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @empty(%a: memref<0xf32>, %b: memref<0xf32, #tier.space<l1>>) {
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the memrefs are empty, nothing to transfer
  %0 = tier.dma_start %a to %b : memref<0xf32> to memref<0xf32, #tier.space<l1>>
  func.return
}
// -----
func.func @not_2d(%a: memref<2x2x4xf32, strided<[128, 16, 1]>>, %b: memref<2x2x4xf32, #tier.space<l1>>) {
  // rows of 4 elements, but the two outer dimensions do not fold into one
  // (128 != 2 x 16): a 3-D pattern
  // CHECK: tier_dma.mlir:[[# @LINE + 1]]:3: error: tier.dma_start: the layouts of memref<2x2x4xf32, strided<[128, 16, 1]>> and memref<2x2x4xf32, #tier.space<l1>> are not one 1-D or 2-D transfer (rows of contiguous elements, one stride per side)
  %0 = tier.dma_start %a to %b : memref<2x2x4xf32, strided<[128, 16, 1]>> to memref<2x2x4xf32, #tier.space<l1>>
  func.return
}
// -----
// CHECK: tier_dma.mlir:[[# @LINE + 1]]:47: error: unknown memory tier 'l4'; expected l1, l2 or l3
func.func @tier(%a: memref<8xf32, #tier.space<l4>>) {
  func.return
}
