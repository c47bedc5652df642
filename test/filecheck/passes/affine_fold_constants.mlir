// RUN: tdopt %s -p affine-fold-constants | filecheck %s

// Constant operands are substituted into the map: a constant result becomes
// an arith.constant, the rest keeps an affine.apply of the other operands.
// CHECK-LABEL: func.func @copies
// CHECK-NEXT:  %c6 = arith.constant 6 : index
// CHECK-NEXT:  %r = arith.constant 1 : index
// CHECK-NEXT:  %c = affine.apply affine_map<(d0) -> (((d0 * 4) + 2))> (%i)
// CHECK-NEXT:  %n = affine.apply affine_map<(d0, d1) -> ((d0 + d1))> (%i, %j)
// CHECK-NEXT:  func.return %r, %c, %n : index, index, index
func.func @copies(%i: index, %j: index) -> (index, index, index) {
  %c6 = arith.constant 6 : index
  %r = affine.apply affine_map<(d0) -> (d0 floordiv 4)> (%c6)
  %c = affine.apply affine_map<(d0, d1) -> (d0 * 4 + d1 mod 4)> (%i, %c6)
  %n = affine.apply affine_map<(d0, d1) -> (d0 + d1)> (%i, %j)
  func.return %r, %c, %n : index, index, index
}
