// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add' | filecheck %s

// s = x w + x v: the second product (filled with zeros, then accumulated)
// accumulates into the first instead, so s is the first product's buffer:
// no fill of the second, no add, and relu reads the first buffer.
// CHECK-LABEL: func.func @main()
// CHECK:       %[[Y:[0-9]+]] = memref.alloc() : memref<4x4xf32>
// CHECK-NEXT:  func.call @k_matmul_0_0(%[[Y]])
// CHECK-NEXT:  func.call @k_matmul_0_1(%{{[0-9]+}}, %{{[0-9]+}}, %[[Y]])
// CHECK-NEXT:  func.call @k_matmul_0_1(%{{[0-9]+}}, %{{[0-9]+}}, %[[Y]])
// CHECK-NEXT:  %{{[0-9]+}} = memref.get_global @result0
// CHECK-NEXT:  func.call @k_relu_2_0(%[[Y]], %{{[0-9]+}})
// CHECK-NEXT:  func.return
func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>, %v: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %y = train.matmul %x, %w : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %z = train.matmul %x, %v : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %s = train.add %y, %z : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %r = train.relu %s : (tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %r : tensor<4x4xf32>
}
