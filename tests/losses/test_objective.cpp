// The training objective slices the 3-view batch correctly and weighs its terms as documented.
// In eval mode BatchNorm uses running statistics, so a view's outputs do not depend on the other
// views in the batch and can be compared with separate forward passes.
#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/logit_adjusted_ce.h"
#include "losses/objective.h"
#include "losses/supcon.h"
#include "tests/test_util.h"
#include "train/run_files.h"

using namespace bcl;

namespace {

std::unique_ptr<nn::BCLModel> small_model(Generator& gen) {
  train::ModelFacts facts;
  facts.num_classes = 3;
  facts.head_hidden = 16;
  facts.feat_dim = 8;
  return train::make_model(facts, gen);
}

}  // namespace

TEST_CASE("objective/three_views_sliced_and_weighted") {
  Generator gen(1);
  std::unique_ptr<nn::BCLModel> model = small_model(gen);
  model->eval();
  const std::vector<int64_t> counts = {50, 10, 2};
  const std::vector<Tensor> views = {test::randn({4, 3, 8, 8}, 1, DType::Float32),
                                     test::randn({4, 3, 8, 8}, 2, DType::Float32),
                                     test::randn({4, 3, 8, 8}, 3, DType::Float32)};
  const Tensor labels = from_vector({0, 2, 0, 1}, {4}, DType::Int64);
  for (const std::string method : {"scl", "bcl"}) {
    CAPTURE(method);
    losses::ObjectiveOptions o;
    o.method = method;
    o.alpha = 1.5;
    o.beta = 0.25;
    o.temperature = 0.2;
    const losses::Objective objective(o, counts);
    CHECK(objective.views() == 3);
    const losses::Objective::Outputs out = objective.forward(*model, views);
    CHECK(out.features.shape() == Shape{4, 2, 8});
    CHECK_ALLCLOSE(out.logits, model->forward(views[0]), 1e-5, 1e-5);
    const nn::BCLOutput v1 = model->forward_all(views[1]), v2 = model->forward_all(views[2]);
    CHECK_ALLCLOSE(raw::reshape(raw::narrow(out.features, 1, 0, 1), {4, 8}), v1.projections, 1e-5,
                   1e-5);
    CHECK_ALLCLOSE(raw::reshape(raw::narrow(out.features, 1, 1, 1), {4, 8}), v2.projections, 1e-5,
                   1e-5);
    CHECK_ALLCLOSE(out.prototypes, v1.prototypes, 1e-6, 1e-6);

    const losses::Objective::Terms t = objective.loss(out, labels);
    const Tensor ce = losses::logit_adjusted_cross_entropy(
        out.logits, labels, losses::log_prior(counts, 1.0, DType::Float32));
    const Tensor con = method == "bcl" ? losses::bcl_loss(out.features, labels, out.prototypes, 0.2)
                                       : losses::supcon_loss(out.features, labels, 0.2);
    CHECK(t.ce.item() == doctest::Approx(ce.item()));
    CHECK(t.contrastive.item() == doctest::Approx(con.item()));
    CHECK(t.total.item() == doctest::Approx(1.5 * ce.item() + 0.25 * con.item()));
  }
}

TEST_CASE("objective/single_view_methods") {
  Generator gen(2);
  std::unique_ptr<nn::BCLModel> model = small_model(gen);
  const Tensor x = test::randn({4, 3, 8, 8}, 4, DType::Float32);
  const Tensor labels = from_vector({0, 1, 2, 0}, {4}, DType::Int64);
  losses::ObjectiveOptions o;
  o.method = "ce";
  const losses::Objective ce(o, {5, 5, 5});
  CHECK(ce.views() == 1);
  const losses::Objective::Outputs out = ce.forward(*model, {x});
  CHECK(ce.loss(out, labels).total.item() ==
        doctest::Approx(cross_entropy(out.logits, labels).item()));
  CHECK_FALSE(ce.loss(out, labels).contrastive.defined());
  o.method = "bs";
  const losses::Objective bs(o, {8, 2, 1});
  const Tensor prior =
      from_vector({std::log(8.0 / 11), std::log(2.0 / 11), std::log(1.0 / 11)}, {3});
  CHECK(bs.loss(out, labels).total.item() ==
        doctest::Approx(cross_entropy(out.logits, labels, prior).item()));
  o.method = "bcl";
  CHECK_THROWS_WITH_AS(losses::Objective(o, {1, 1, 1}).forward(*model, {x}),
                       doctest::Contains("needs 3 views"), Error);
  o.method = "xyz";
  CHECK_THROWS_WITH_AS(losses::Objective(o, {1, 1, 1}), doctest::Contains("unknown method"), Error);
}
