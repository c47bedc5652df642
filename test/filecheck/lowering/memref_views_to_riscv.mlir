// RUN: tdopt %s --split-input-file --verify-diagnostics -p convert-memref-views-to-riscv | filecheck %s

// A view is its source's address seen with the view's type: a cast to a
// register and back, which reconcile-unrealized-casts removes with the
// memref conversion's own casts.
// CHECK-LABEL: func.func @views(
// CHECK-SAME:  %[[A:.*]]: memref<2x3xf32>, %[[B:.*]]: memref<6xf32>, %[[C:.*]]: memref<8xf32>)
// CHECK-NEXT:  %[[R1:.*]] = builtin.unrealized_conversion_cast %[[A]] : memref<2x3xf32> to !riscv.reg
// CHECK-NEXT:  %[[V1:.*]] = builtin.unrealized_conversion_cast %[[R1]] : !riscv.reg to memref<6xf32>
// CHECK-NEXT:  %[[R2:.*]] = builtin.unrealized_conversion_cast %[[B]] : memref<6xf32> to !riscv.reg
// CHECK-NEXT:  %[[V2:.*]] = builtin.unrealized_conversion_cast %[[R2]] : !riscv.reg to memref<2x3xf32>
// CHECK-NEXT:  %[[R3:.*]] = builtin.unrealized_conversion_cast %[[C]] : memref<8xf32> to !riscv.reg
// CHECK-NEXT:  %[[V3:.*]] = builtin.unrealized_conversion_cast %[[R3]] : !riscv.reg to memref<2x2xf32>
// CHECK-NEXT:  "test.op"(%[[V1]], %[[V2]], %[[V3]])
// CHECK-NOT:   memref.collapse_shape
func.func @views(%a: memref<2x3xf32>, %b: memref<6xf32>, %c: memref<8xf32>) {
  %v1 = memref.collapse_shape %a [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  %v2 = memref.expand_shape %b [[0, 1]] output_shape [2, 3] : memref<6xf32> into memref<2x3xf32>
  %v3 = memref.reinterpret_cast %c to offset: [0], sizes: [2, 2], strides: [2, 1] : memref<8xf32> to memref<2x2xf32>
  "test.op"(%v1, %v2, %v3) : (memref<6xf32>, memref<2x3xf32>, memref<2x2xf32>) -> ()
  func.return
}

// -----

// A reinterpret_cast from elsewhere than the first element is no view of
// tdopt's: it would need the offset added.
// CHECK: memref_views_to_riscv.mlir:[[# @LINE + 3]]:3: error: convert-memref-views-to-riscv: a memref.reinterpret_cast is lowered only as a view from its source's first element (static offset 0, sizes and strides)
// CHECK-NEXT: %v = memref.reinterpret_cast %c to offset: [4]
func.func @offset(%c: memref<8xf32>) {
  %v = memref.reinterpret_cast %c to offset: [4], sizes: [2, 2], strides: [2, 1] : memref<8xf32> to memref<2x2xf32, strided<[2, 1], offset: 4>>
  "test.op"(%v) : (memref<2x2xf32, strided<[2, 1], offset: 4>>) -> ()
  func.return
}
