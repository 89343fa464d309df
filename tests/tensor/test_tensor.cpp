#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("tensor/factories_and_item") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.strides() == Shape{3, 1});
  CHECK(z.numel() == 6);
  CHECK(z.dtype() == DType::Float32);
  CHECK(z.device() == Device::CPU);
  CHECK(z.to_vector() == std::vector<double>(6, 0.0));
  CHECK(ones({4}, DType::Float64).to_vector() == std::vector<double>(4, 1.0));
  CHECK(full({2}, 2.5).to_vector() == std::vector<double>{2.5, 2.5});
  CHECK(scalar(3.0).item() == 3.0);
  CHECK(scalar(3.0).dim() == 0);
  CHECK(arange(4, DType::Int64).to_vector() == std::vector<double>{0, 1, 2, 3});
  CHECK_THROWS_WITH_AS(zeros({2, 3}).item(), doctest::Contains("item"), Error);
  CHECK_THROWS_WITH_AS(from_vector({1, 2, 3}, {2, 2}), doctest::Contains("from_vector"), Error);
  CHECK_THROWS_AS(zeros({2}).data<double>(), Error);
}

TEST_CASE("tensor/views_share_storage") {
  Tensor x = from_vector({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = raw::transpose(x, 0, 1);
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.strides() == Shape{1, 3});
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
  // Writing through a view changes the base.
  Tensor row = raw::narrow(x, 0, 1, 1);
  CHECK(row.offset() == 3);
  raw::fill_(row, 9);
  CHECK(x.to_vector() == std::vector<double>{0, 1, 2, 9, 9, 9});
  Tensor col = raw::narrow(x, 1, 2, 1);
  CHECK(col.to_vector() == std::vector<double>{2, 9});
  CHECK(raw::contiguous(t).to_vector() == t.to_vector());
  CHECK(raw::contiguous(t).is_contiguous());
  CHECK(raw::contiguous(x).same(x));  // already contiguous: no copy
}

TEST_CASE("tensor/view_reshape_flatten") {
  Tensor x = arange(24);
  Tensor v = raw::view(x, {2, -1, 4});
  CHECK(v.shape() == Shape{2, 3, 4});
  CHECK(v.strides() == Shape{12, 4, 1});
  CHECK(raw::flatten(v, 1).shape() == Shape{2, 12});
  CHECK(raw::flatten(v).shape() == Shape{24});
  Tensor p = raw::permute(v, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Shape{1, 12, 4});
  CHECK_THROWS_WITH_AS(raw::view(p, {24}), doctest::Contains("not contiguous"), Error);
  Tensor r = raw::reshape(p, {4, 6});  // copies
  CHECK(r.is_contiguous());
  CHECK(r.to_vector()[1] == 4.0);  // p[0, 0, 1] = v[0, 1, 0] = 4
  CHECK_THROWS_WITH_AS(raw::view(x, {5, 5}), doctest::Contains("[5, 5]"), Error);
  CHECK_THROWS_WITH_AS(raw::view(x, {-1, -1}), doctest::Contains("only one dim"), Error);
  CHECK_THROWS_WITH_AS(raw::permute(v, {0, 0, 1}), doctest::Contains("twice"), Error);
}

TEST_CASE("tensor/expand_unsqueeze_squeeze") {
  Tensor x = from_vector({1, 2, 3}, {3, 1});
  Tensor e = raw::expand(x, {2, 3, 4});
  CHECK(e.shape() == Shape{2, 3, 4});
  CHECK(e.strides() == Shape{0, 1, 0});
  CHECK(raw::sum_to(e, {3, 1}).to_vector() == std::vector<double>{8, 16, 24});
  std::vector<double> ev = e.to_vector();
  CHECK(ev[0] == 1);
  CHECK(ev[4] == 2);
  CHECK(ev[12] == 1);
  CHECK_THROWS_WITH_AS(raw::expand(x, {3, 2, 4}), doctest::Contains("expand"), Error);
  Tensor u = raw::unsqueeze(x, 0);
  CHECK(u.shape() == Shape{1, 3, 1});
  CHECK(raw::unsqueeze(x, -1).shape() == Shape{3, 1, 1});
  CHECK(raw::squeeze(x, 1).shape() == Shape{3});
  CHECK_THROWS_WITH_AS(raw::squeeze(x, 0), doctest::Contains("not 1"), Error);
}

TEST_CASE("tensor/out_of_range_dims_and_slices") {
  Tensor x = zeros({2, 3});
  CHECK_THROWS_WITH_AS(raw::narrow(x, 2, 0, 1), doctest::Contains("dim 2 is out of range"), Error);
  CHECK_THROWS_WITH_AS(raw::narrow(x, 1, 2, 2), doctest::Contains("narrow: range [2, 4)"), Error);
  CHECK_THROWS_WITH_AS(raw::transpose(x, 0, -3), doctest::Contains("transpose"), Error);
  CHECK(x.size(-1) == 3);
  CHECK_THROWS_AS(x.size(2), Error);
  Tensor undefined;
  CHECK_THROWS_WITH_AS(undefined.shape(), doctest::Contains("undefined"), Error);
}

TEST_CASE("tensor/copy_converts_and_broadcasts") {
  Tensor d = zeros({2, 3}, DType::Float64);
  raw::copy_(d, from_vector({1, 2, 3}, {3}, DType::Float32));
  CHECK(d.to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  Tensor i = raw::to_dtype(from_vector({1.7, -2.2}, {2}), DType::Int64);
  CHECK(i.to_vector() == std::vector<double>{1, -2});  // truncation, as a C++ cast
  Tensor c = raw::clone(d);
  raw::fill_(c, 0);
  CHECK(d.to_vector()[0] == 1);  // clone does not alias
  // Into a strided destination.
  Tensor t = raw::transpose(zeros({3, 2}), 0, 1);
  raw::copy_(t, from_vector({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(raw::contiguous(t).to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("tensor/printing") {
  Tensor x = from_vector({1, 2, 3, 4}, {2, 2});
  CHECK(x.str() ==
        "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], shape=[2, 2], dtype=float32)");
  CHECK(scalar(1.5, DType::Float64).str() == "tensor(1.5000, shape=[], dtype=float64)");
  std::string big = arange(100, DType::Int64).str();
  CHECK(big.find("0, 1, 2, ..., 97, 98, 99]") != std::string::npos);
  CHECK(Tensor().str() == "tensor(undefined)");
}

#ifndef BCL_CUDA
TEST_CASE("tensor/cuda_device_without_backend") {
  CHECK_THROWS_WITH_AS(empty({2}, DType::Float32, Device::CUDA), doctest::Contains("make CUDA=1"),
                       Error);
}
#endif
