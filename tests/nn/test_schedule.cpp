// Learning-rate schedules at the iterations where their formulas change.
#include "nn/schedule.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

TEST_CASE("nn/schedule_warmup_then_cosine") {
  ScheduleOptions o;
  o.base_lr = 0.1;
  o.epochs = 10;
  o.iters_per_epoch = 5;
  o.warmup_epochs = 2;  // 10 warmup iterations, then 40 of cosine
  LrSchedule s(o);
  CHECK(s.lr_at(0) == doctest::Approx(0.01));
  CHECK(s.lr_at(4) == doctest::Approx(0.05));
  CHECK(s.lr_at(9) == doctest::Approx(0.1));
  CHECK(s.lr_at(10) == doctest::Approx(0.1));   // cosine starts at the base rate
  CHECK(s.lr_at(30) == doctest::Approx(0.05));  // half way
  CHECK(s.lr_at(20) == doctest::Approx(0.05 * (1 + std::sqrt(0.5))));  // a quarter
  CHECK(s.lr_at(49) > 0);
  CHECK(s.lr_at(49) < 2e-4);
  CHECK(s.lr_at(50) == doctest::Approx(0.0));
  CHECK(s.lr_at(60) == doctest::Approx(0.0));
}

TEST_CASE("nn/schedule_warmup_then_multistep") {
  ScheduleOptions o;
  o.kind = ScheduleOptions::Kind::MultiStep;
  o.base_lr = 0.2;
  o.epochs = 10;
  o.iters_per_epoch = 5;
  o.warmup_epochs = 1;
  o.milestones = {4, 8};
  LrSchedule s(o);
  CHECK(s.lr_at(0) == doctest::Approx(0.04));
  CHECK(s.lr_at(5) == doctest::Approx(0.2));
  CHECK(s.lr_at(19) == doctest::Approx(0.2));   // epoch 3
  CHECK(s.lr_at(20) == doctest::Approx(0.02));  // epoch 4
  CHECK(s.lr_at(40) == doctest::Approx(0.002));
}

TEST_CASE("nn/schedule_without_warmup_and_errors") {
  ScheduleOptions o;
  o.epochs = 4;
  o.iters_per_epoch = 2;
  LrSchedule s(o);
  CHECK(s.lr_at(0) == doctest::Approx(0.1));
  CHECK(s.lr_at(4) == doctest::Approx(0.05));
  o.warmup_epochs = 4;
  CHECK_THROWS_AS(LrSchedule{o}, Error);
  o.warmup_epochs = 0;
  o.milestones = {3, 2};
  CHECK_THROWS_AS(LrSchedule{o}, Error);
  CHECK_THROWS_AS(s.lr_at(-1), Error);
}
