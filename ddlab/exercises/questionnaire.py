"""The questionnaire that closes every notebook: questions that need the notebook's ideas, not its
numbers, answered in the learner's own words first (fastbook's habit), then compared with ours.

Questions and answers are data, kept here, so the notebook's questionnaire cell (`markdown`, which
the tests compare with the notebook) and the answers `answer` reveals cannot drift apart:

    from ddlab.exercises import answer
    answer("07.q3")     # prints our answer to notebook 07's third question
"""

from __future__ import annotations

QUESTIONS: dict[str, tuple[tuple[str, str], ...]] = {  # notebook -> ((question, answer), ...), in order
    "00": (
        (
            "What does dataset distillation optimise, and why is it an optimisation inside an optimisation?",
            "It optimises a small synthetic training set (its pixels, and in some methods its labels and step "
            "sizes) so that a network trained on it does well on real test data. Scoring one candidate set "
            "means training a network on it: that training is the inner optimisation, and the set is improved "
            "by the outer one, which follows the real-data loss after training back to the set.",
        ),
        (
            "How does distilling a dataset differ from compressing a model (pruning, or distilling a large "
            "network into a small one)?",
            "Model compression shrinks the learned function: what you keep is one trained network. Dataset "
            "distillation shrinks the data a network is trained from and leaves the network family alone: "
            "what you keep is a training set, which can train new networks from scratch.",
        ),
        (
            "Why can a distilled image look like no handwritten digit and still teach a network?",
            "Nothing in the objective asks for realism. Every pixel is a free parameter, chosen for the "
            "gradient the image produces and so for where the training steps take the weights. A real digit "
            "is mostly background because of how digits are written, not because training needs it.",
        ),
        (
            "Where does a training set thousands of times smaller pay off, and why there?",
            "Wherever many networks must be trained: architecture search and hyper-parameter tuning (each "
            "candidate trained on the small set to rank it), and continual learning (a small memory of "
            "earlier tasks replayed while learning new ones). The cost of making the set is paid once; every "
            "training on it is cheap.",
        ),
        (
            "Why do the notebooks read their budgets from `ddlab.profile` instead of writing iteration counts "
            "into the cells?",
            "So that one text serves every setting without edits: seconds on CI (quick), recordings replayed "
            "in front of a class (seminar), minutes on a learner's CPU (default) and the papers' lengths on a "
            "GPU (full). The page stays the same; only the budgets behind it change.",
        ),
        (
            "Why does `ddlab` keep MNIST on the device as four tensors instead of reading it through a `DataLoader`?",
            "MNIST fits in memory on any device (60,000 images of 784 floats, under 200 MB), and distillation "
            "draws many small random batches per iteration. Indexing tensors that already sit on the device "
            "costs nothing; a loader would copy and collate every batch.",
        ),
    ),
    "01": (
        (
            "Write the bilevel objective of dataset distillation with a fixed initialisation. Which "
            "variables does the outer problem optimise, and which are functions of them?",
            "min over x~, eta~ of l(x_real; theta_T(x~, eta~)), with theta_{i+1} = theta_i - eta~_i "
            "grad_theta l(x~; theta_i) from a fixed theta_0. The outer problem optimises the synthetic images "
            "and the step sizes; the trained weights theta_T are not free variables but a function of them, "
            "computed by the inner training.",
        ),
        (
            "Why does the meta-gradient involve second derivatives, and why is the Hessian never formed?",
            "Each training step depends on the images through a gradient: d theta_{i+1}/d theta_i = I - eta "
            "H_i and d theta_{i+1}/d x~ = -eta grad_x grad_theta l. Back-propagation only needs these "
            "Jacobians multiplied by a vector, and reverse-mode autograd gets such Hessian-vector products by "
            "differentiating the inner gradient once more (create_graph=True), at the cost of a few backward "
            "passes, never the parameters x parameters matrix.",
        ),
        (
            "Why does the memory of the meta-gradient grow with the number of unrolled steps, when plain "
            "training's does not?",
            "Reverse mode walks the steps backwards, so it must keep every step's weights and activations "
            "until the backward pass reaches it; plain training drops a step once its update is applied. "
            "Checkpointing (recompute instead of keep) trades that memory for time, and Maclaurin et al. "
            "reverse the training dynamics instead of storing them.",
        ),
        (
            "Why does `distill` return the set that scored best on a validation slice instead of the last "
            "iterate, and why a slice of the training images?",
            "Distilled sets sit in sharp minima: a small change of the pixels can move test accuracy by "
            "points, so the last iterate of a noisy optimisation is partly luck. Choosing among iterates is "
            "itself a fit, so it is done on training images; choosing on the test set would make the "
            "reported test score optimistic.",
        ),
        (
            "Why are the step sizes learned with the images, and why through a softplus?",
            "The images encode weight updates, and an update is a direction times a length: learning the "
            "lengths lets the optimisation decide how far each step goes, which the images and the steps "
            "then fit together. The softplus keeps every step size positive while leaving the parameter "
            "Adam updates unconstrained.",
        ),
        (
            "What does a set distilled for one fixed initialisation tell you about training networks in "
            "general, and what does it not?",
            "It shows that a few images can carry one particular network from its start to a good solution "
            "in a few steps. It says nothing about other networks: the pixels were fitted to the features of "
            "that one theta_0, and a fresh initialisation computes other features (exercise 1, and notebook "
            "02's cure: distil for a distribution of initialisations).",
        ),
    ),
    "02": (
        (
            "In what sense does a set distilled for one fixed initialisation overfit, and what is the cure?",
            "It fits one theta_0 the way a model fits its training examples: the objective only ever sees "
            "that one training run. The cure is the usual one one level up: optimise the expected loss over "
            "a distribution p(theta_0), drawing new initialisations during distillation and testing on "
            "draws it never saw.",
        ),
        (
            "How does one outer iteration estimate the expectation over theta_0, and why is that estimate "
            "fit for gradient descent?",
            "It draws n_nets initialisations, unrolls training from all of them at once (vmap) and averages "
            "their real-data losses. The average of independent draws is an unbiased estimate of the "
            "expected loss, and its gradient an unbiased estimate of the expected loss's gradient: stochastic "
            "gradient descent on the expectation.",
        ),
        (
            "What do the four init settings of Wang et al. have in common, and where do they differ?",
            "All four minimise the expected real-data loss after training; they differ only in p(theta_0) "
            "(a point mass at one random draw, the Xavier distribution, a point mass at one pretrained "
            "network, a pool of pretrained networks) and in the theta_0 used at test time (the same point, "
            "fresh draws, or the pool's unseen networks).",
        ),
        (
            "Why does the random-init setting need more images than the fixed one for a comparable accuracy?",
            "Its images must produce useful updates from any initialisation the distribution can draw, not "
            "one update tailored to one network's features. What works on average over networks is less "
            "specific, so it takes more images and more distinct gradient steps (the paper: 10 steps x 3 "
            "epochs, 100 images) to carry as much.",
        ),
        (
            "Why is a `random_pretrained` set tested on the pool's other networks and not on the ones it "
            "was distilled with?",
            "The networks it was distilled with are its training examples: scoring on them would hide any "
            "overfitting to them, as a training-set accuracy hides a model's. Unseen networks from the same "
            "pool measure what the set does for the distribution.",
        ),
        (
            "Read one row of the transfer matrix: what question does it answer, and what does its diagonal cell mean?",
            "A row is one set, distilled under one setting, tested under every setting: does this data work "
            "away from home? The diagonal cell is the set under the setting it was made for, on test "
            "networks it never saw; the other cells measure transfer.",
        ),
    ),
    "03": (
        (
            "Why does every baseline get its own tuned step size, and why must the tuning not use the test "
            "set or the networks we report?",
            "A distilled set learns its step sizes; a baseline has none suited to it, so an arbitrary step "
            "size would measure the step size rather than the images. Tuning on the test set or on the "
            "reported networks would pick the step size by the very numbers we report, an optimistic bias; "
            "hence a validation slice of the training set and networks from the distilling side.",
        ),
        (
            "What does herding optimise, what does k-center optimise, and what kind of images does each tend to pick?",
            "Herding greedily adds the image that keeps the mean of its picks closest to the class mean, so "
            "it picks typical, central images. K-center greedily adds the image farthest from every pick so "
            "far, so it covers the class and spends picks on unusual images at its edges.",
        ),
        (
            "How do k-means centroids and class averages differ in kind from the other baselines?",
            "They are not training images but averages of them: pixel means of parts of a class, often "
            "blurred prototypes. The other baselines are real images chosen by a rule, unchanged.",
        ),
        (
            "What makes the comparison between a distilled set and a baseline fair?",
            "The same number of images, laid out in the same steps and epochs, trained from the same "
            "initialisations and tested on the same images, with each baseline's step size tuned for it: "
            "only the images (and whether the step sizes were learned or tuned) differ.",
        ),
        (
            "Why is 'optimized real' ranked on training networks rather than on the networks it is scored on?",
            "Picking the best of several random sets by the score it is reported with selects lucky draws: "
            "the winner's score is biased upwards. Ranking on other networks keeps the selection honest.",
        ),
        (
            "What does the margin of a distilled set over every real-image baseline measure?",
            "What learning the pixels buys beyond choosing or averaging real images: information, for this "
            "training procedure, that no set of real images of the same size carries.",
        ),
    ),
    "04": (
        (
            "What do steps, epochs and images per class each add to a DD set?",
            "Steps add images and distinct gradient steps; epochs add gradient steps that replay the same "
            "images; images per class enlarge each step's batch without adding steps.",
        ),
        (
            "Why may a longer unroll (more steps x epochs) not pay in a short distillation run?",
            "Each outer iteration costs more, and the meta-gradient through many steps is a product of many "
            "Jacobians, noisier and harder to follow; with few iterations the extra capacity is not yet "
            "used, so short runs can rank the knobs differently from long ones.",
        ),
        (
            "When distilling for networks pretrained on other digits, what do the images encode?",
            "The update that carries such a network to MNIST: what a network that knows the source digits "
            "must change to read MNIST's, expressed through the features it already computes.",
        ),
        (
            "Why is fine-tuning on as many random real MNIST images, with a tuned step size, the natural "
            "competitor of adaptation images?",
            "It spends the same budget (the same number of images and gradient steps on the same networks) "
            "the plain way, with real target data; the gap between the two is what learning the images "
            "adds.",
        ),
        (
            "How does the poisoning objective differ from the ordinary one, and why does the victim keep "
            "reading the other digits?",
            "Only the outer loss changes: the real images of the source class are labelled with the target "
            "class. The other classes keep their true labels in the same loss, so any damage to them raises "
            "it; keeping the attack quiet is part of what is optimised.",
        ),
        (
            "What must an attacker know about the victim's training for this poison, and why?",
            "Its initial weights (or their distribution), the number of steps and how they are taken: the "
            "poison is optimised through that very training, so its pixels push one particular trajectory. "
            "To reach unknown networks the attacker distils over a distribution of them.",
        ),
    ),
    "05": (
        (
            "What does gradient matching replace in DD's bilevel problem, and what derivatives remain?",
            "It replaces back-propagation through a training run by a local target: at networks met along "
            "training, the synthetic images must produce the same gradient as real images of their class. "
            "Only the second derivatives of one step remain: the distance is differentiated with respect "
            "to the images through grad_theta l(S).",
        ),
        (
            "Why does DC compare gradients by 1 - cos per output unit rather than by Euclidean distance?",
            "A few synthetic images cannot produce the size of a 256-image gradient, but they can point the "
            "same way; the cosine ignores length, so one image per class can match. A Euclidean distance "
            "would demand the length too and push the pixels to extremes. Working per output unit (row) asks "
            "every unit's gradient to point right, a finer target than one cosine per layer.",
        ),
        (
            "Why are biases and normalisation parameters left out of the distance?",
            "Per output unit their gradient is a single number, and the cosine of two numbers is only their "
            "sign (+1 or -1): no direction to compare.",
        ),
        (
            "Why match class by class instead of the gradient of the whole batch?",
            "Each class's synthetic images must then reproduce the gradient of real images of that class, a "
            "target per class; in one mixed gradient the classes could compensate for one another and no "
            "image would be tied to its label.",
        ),
        (
            "Why is the network held fixed when differentiating with respect to the images, and what does "
            "the resulting gradient ignore?",
            "To avoid back-propagating through training. The gradient therefore ignores how the images "
            "changed the network in the earlier training steps between matches: it follows the matching "
            "loss at each network as given, not the loss of the whole trajectory.",
        ),
        (
            "Why can a narrower, shorter evaluation score the same set lower than the paper's, and what "
            "does that mean for comparing numbers?",
            "The judge (fresh networks trained on the set) has less capacity and fewer updates, so the same "
            "images yield less accuracy. A difference to the paper is then partly the judge, not the set: "
            "only numbers measured under the same judge compare the sets.",
        ),
    ),
    "06": (
        (
            "Why does a network trained on ten images need data augmentation?",
            "With ten images it memorises them within a few epochs and stops learning anything that "
            "generalises; random transformations show it new variants at every step, which regularises "
            "the training.",
        ),
        (
            "Why does matching under independent augmentations of the two batches go wrong?",
            "The target gradient comes from real images transformed one way, the synthetic gradient from "
            "images transformed another way; to match, the synthetic image would have to undo random "
            "transformations, and the best it can do is a blur that fits every draw a little.",
        ),
        (
            "What does 'siamese' mean in DSA, and what exactly is shared?",
            "One transformation, drawn once (one family and one set of parameters), is applied to the real "
            "batch and to the synthetic images of the same class, so both sides of the match see the same "
            "change.",
        ),
        (
            "Why must DSA's transformations be differentiable with respect to the pixels?",
            "The matching distance is differentiated with respect to the synthetic images through the "
            "transformation. For a fixed draw, shifts, cutout, brightness, contrast and affine resampling "
            "are linear (or affine) in the pixels, so the gradient passes through them to every pixel that "
            "contributed to the transformed image.",
        ),
        (
            "Why does the course leave out the horizontal flip that DSA uses on natural images?",
            "A mirrored photograph of a car is still a car; a mirrored digit is another symbol or none. An "
            "augmentation must keep the label true.",
        ),
        (
            "Why are the networks that evaluate a DSA set trained with the same family of augmentations, "
            "drawn per image?",
            "The images were learned for networks that see them transformed, so the judge trains the way "
            "they were made for; per-image draws are ordinary augmented training, since nothing has to be "
            "matched at evaluation time.",
        ),
    ),
    "07": (
        (
            "Why does DM need no second-order derivatives?",
            "Its loss depends on the images only through the embeddings of a network that is never trained "
            "inside the loop, so its gradient with respect to the pixels is one backward pass through that "
            "network. DC's loss contains a gradient of the network's loss, and differentiating it with "
            "respect to the pixels is second order.",
        ),
        (
            "Why does DM draw a fresh random network every iteration instead of training one?",
            "To match the class means in the feature spaces of many networks (an expectation over random "
            "initialisations), so the images are not fitted to one embedding; and because random features "
            "already separate the digits, no training is needed, which is what makes DM cheap.",
        ),
        (
            "What does a linear-kernel MMD see of two sets of embeddings, and what does it miss?",
            "Only their means: with k(a, b) = a.b the three kernel averages add up to the squared distance "
            "of the means. It misses spread, shape and every higher moment; a characteristic kernel (e.g. a "
            "Gaussian) would compare whole distributions.",
        ),
        (
            "Why is the real batch's mean embedding detached in the loss?",
            "It is the target, not a variable: only the synthetic images are optimised. Detaching says so, "
            "and autograd then keeps no graph of the largest batch for a backward pass no variable needs.",
        ),
        (
            "Why does an iteration cost hardly more with ten synthetic images per class than with one?",
            "The forward passes of the real batches (hundreds of images per class) dominate; the synthetic "
            "images are a small batch, and only they need a backward pass.",
        ),
        (
            "Why does DM embed real and synthetic images under the same siamese augmentation?",
            "The means it compares must be means of equally transformed images, DSA's argument; it also "
            "makes the images fit networks that are trained on them with augmentation.",
        ),
    ),
    "08": (
        (
            "Why is matching a single gradient step short-sighted?",
            "A training run takes hundreds of steps; small errors in each step's direction add up along the "
            "way. Matching a long stretch of the trajectory constrains where training ends up, not only the "
            "direction of its next step.",
        ),
        (
            "What are expert trajectories, and why are they recorded once, before distilling?",
            "Networks trained on the real data with their weights saved after every epoch. Every outer "
            "iteration only reads a start and a target checkpoint from them, so training them once and "
            "caching them removes all real-data training from the distillation loop.",
        ),
        (
            "Why does the student start on the expert's path, at theta*_t, rather than from a fresh initialisation?",
            "Then N student steps only have to cover the M epochs the expert took from the same point: a "
            "short, well-defined target. From another start the loss would mix what the images teach with "
            "how far apart the two starting points are.",
        ),
        (
            "What do the loss values 0 and 1 mean, and why is the distance divided by the expert's own displacement?",
            "0: the student landed exactly on theta*_{t+M}; 1: it is no closer than where it started, as a "
            "student that does not move. Training moves the weights far at first and little later, so "
            "without the division the early start epochs would dominate the loss; divided, every start "
            "counts alike.",
        ),
        (
            "Why does MTT learn the student's step size, and how does `ddlab`'s parameterisation differ "
            "from the paper's?",
            "The images are learned for steps of a particular length, so N steps can cover M epochs only "
            "with the right one: learning alpha lets the two fit each other. The paper learns alpha "
            "itself; `ddlab` learns log(alpha), which keeps it positive, with the step size of that update "
            "rescaled to match.",
        ),
        (
            "Why does MTT's memory grow with the number of student steps N?",
            "The loss is differentiated through all N student steps, as DD's unroll is, so every step's "
            "weights and activations are kept for the backward pass; N stays bounded because the student "
            "covers only M expert epochs from a point on the path.",
        ),
    ),
    "09": (
        (
            "Why must every entry of the leaderboard be scored by the same judge?",
            "A set's accuracy depends on the networks trained on it (architecture, width, epochs, "
            "augmentation, seeds) as much as on its images; only under one judge does a difference between "
            "two rows come from the sets.",
        ),
        (
            "Why is DD's set replayed on random LeNets instead of being trained on under the ConvNet protocol?",
            "A DD set is a training schedule: images tied to the learned step sizes and the steps they were "
            "made for, for LeNet. Trained on under another protocol it is no longer what was learned.",
        ),
        (
            "Why do herding and k-center pick the same image at one image per class?",
            "Both begin with the image nearest the class mean: herding's first pick is the image whose own "
            "mean, itself, is closest to the class mean, and k-center starts there.",
        ),
        (
            "Why read each set's accuracy beside the time and memory it took to make?",
            "Methods buy accuracy with very different amounts of compute, from a fraction of a second for a "
            "coreset rule to hours for an unrolled method; which is worth it depends on the budget and on "
            "how many networks will be trained on the result.",
        ),
        (
            "What does the cross-architecture table measure?",
            "How much of a set's value is tied to the network it was made with: a set distilled through a "
            "ConvNet may carry what that architecture responds to, and training an MLP or a LeNet on it "
            "tests what transfers.",
        ),
        (
            "Why do the live runs of DSA, DM and MTT start from the very images of the random row?",
            "Then the difference between a method's row and the random row is what that method added to "
            "those images, not the luck of another starting draw.",
        ),
    ),
    "10": (
        (
            "What does a distilled set's objective optimise, and what does it leave unsaid?",
            "The real-data loss after one particular training procedure (network, optimiser, number of "
            "steps) on the set. It says nothing about other training sets or other procedures, so nothing "
            "promises that the set behaves like real data when mixed with it or trained on differently.",
        ),
        (
            "What would 'a distilled set is a compressed dataset' predict in the mixing experiment?",
            "Adding real images could not hurt much (the mixture scores at least what the set alone "
            "scores), and the set plus k real images per class would beat as many real images plus the "
            "same k, at every k.",
        ),
        (
            "Why are both arms of the mixing experiment trained from the same initialisations, with nested "
            "real images?",
            "So that a difference between the arms, or between two values of k, comes from the sets and "
            "not from other network draws or another choice of real images.",
        ),
        (
            "If a set's value is tied to its training procedure, what should happen to its advantage over "
            "real images when the procedure changes, and why?",
            "It should shrink: the images were fitted to one optimiser, one number of steps and one "
            "architecture, while real images were fitted to none, so a change of procedure costs the set "
            "more than it costs them.",
        ),
        (
            "Why can distilled pixels overshoot black and white, and why does the display hide it?",
            "The optimisation treats every pixel as an unconstrained number in normalised units, and nothing "
            "in the objective keeps it within the valid range: a pixel goes wherever the loss pulls it. "
            "`data.to_pixels` clamps into [0, 1] only to draw the image.",
        ),
        (
            "Why test whether networks trained on real digits recognise distilled images, and why does "
            "that test need a noise control?",
            "If real-trained networks classify the images right, the images carry features of real digits. "
            "The control shows the score is not an artefact of the test: images that carry no digit, such "
            "as noise, must score about chance.",
        ),
    ),
    "11": (
        (
            "State 'distilled data encodes early training' as a prediction you can measure.",
            "A network trained on the distilled set should make the mistakes of a real-data network stopped "
            "early at the same accuracy more than those of a network trained to the end on a small real "
            "subset: its agreement above the forced floor should be larger with the early-stopped one.",
        ),
        (
            "Why do two classifiers of accuracies a and b agree on at least a + b - 1 of the test images?",
            "Both are right on at least a + b - 1 of the images, since at most (1 - a) + (1 - b) of them can "
            "have a mistake by either; where both are right they agree. Only agreement above that floor "
            "says something about shared mistakes.",
        ),
        (
            "Why is the DM set the control of this notebook?",
            "DM trains no network while distilling: it matches features of random networks. If its set "
            "looked 'early' too, the early look would come from the task and the data, not from matching "
            "training dynamics.",
        ),
        (
            "How does Hutchinson's estimator find the trace of a Hessian without forming it?",
            "For random vectors v with E[v v^T] = I (independent +-1 entries), E[v^T H v] = tr(H E[v v^T]) "
            "= tr H. Each H v is one Hessian-vector product (a forward-mode derivative of the gradient), so "
            "the estimate costs a few gradient evaluations per probe, averaged over probes.",
        ),
        (
            "Why would the training-based methods store the beginning of training in particular?",
            "DC matches gradients of networks near initialisation and early in their training, MTT matches "
            "the first epochs of expert trajectories (start epochs up to T+), and DD unrolls a few steps "
            "from initialisation: all of them look only at the beginning.",
        ),
        (
            "Why is 'recognised before test accuracy rises' hard to time with one image per class?",
            "With ten images the recognition accuracy moves in steps of 10 points, and it is measured every "
            "few training steps; two events within one measurement interval cannot be ordered.",
        ),
    ),
    "12": (
        (
            "Define the leave-one-out influence of distilled image i on test image j, and its sign.",
            "Delta_ij = l_j(theta_{-i}) - l_j(theta): the test loss of a network trained without image i "
            "minus that of one trained with it. Positive: without i, j got worse, so image i helps j; "
            "negative: it hurts j.",
        ),
        (
            "Why do the N + 1 trainings share their initialisation and minibatches, and train without augmentation?",
            "So that the only difference between theta and theta_{-i} is image i. Another initialisation, "
            "other minibatches or each network's own augmentation draws would change the loss by more than "
            "one image does and drown the influence.",
        ),
        (
            "How do N + 1 trainings become one batched pass?",
            "`train_many` trains N + 1 networks at once with vmap; network i + 1 gives image i weight zero "
            "in every loss. The data and the shapes are the same for all of them; a unit test checks the "
            "result equals N + 1 separate trainings.",
        ),
        (
            "Why does the paper use influence functions where the course retrains exactly?",
            "Retraining once per image is expensive for CIFAR-10 networks and sets; influence functions "
            "approximate the effect of removing an image from the trained network alone (an inverse-"
            "Hessian-vector product). Ten MNIST images and small networks make the exact N + 1 trainings "
            "cheap.",
        ),
        (
            "What do label purity and resemblance each test?",
            "Purity: whether the test images an image helps most carry its label (chance 10%), i.e. whether "
            "its help is its class. Resemblance: whether those test images look more like the image's "
            "nearest real digits than an average digit of its class does, i.e. whether it teaches a "
            "nameable variant of the class.",
        ),
        (
            "Why can a DD image's influence spread over many classes?",
            "A DD image is a step of a schedule with a learned step size: what it does depends on the "
            "network's state when its step comes round, and leaving it out changes the rest of the "
            "trajectory, so its effect reaches every class.",
        ),
    ),
    "13": (
        (
            "How can a label be learned together with the image, and what can a learned label express that "
            "a one-hot label cannot?",
            "The inner step uses the soft cross-entropy -sum_k y_ik log p_k(x_i), which is differentiable in "
            "the label vector y_i as in the pixels, so the outer gradient reaches both. A learned vector can "
            "push harder (an entry above 1), teach 'not this class' (an entry below 0), or teach two classes "
            "with one image.",
        ),
        (
            "How can five images train a network to recognise ten classes?",
            "With learned labels an image is not tied to one class: its label vector can spread its push "
            "over several classes, so each image teaches two digits (the set starts each image half one "
            "class and half another).",
        ),
        (
            "What does an infinitely wide network trained by gradient descent compute, and why does that "
            "remove the unroll?",
            "Kernel ridge regression with its neural tangent kernel: y(x) = K(x, X_s)(K(X_s, X_s) + "
            "lambda I)^-1 y_s, in closed form. The loss on real data is then an explicit function of the "
            "support set, differentiated directly with no training steps to back-propagate through.",
        ),
        (
            "Why can Label Solve find the support labels exactly?",
            "The kernel regression's predictions on the target images are linear in the support labels, so "
            "the squared error on them is a linear least-squares problem in y_s, solved in closed form.",
        ),
        (
            "What does KIP optimise, and how does it differ from Label Solve?",
            "KIP learns the support images (and optionally their labels) by gradient descent on the kernel "
            "regression's loss on fresh real batches; Label Solve keeps the images and solves the labels "
            "only, in one step.",
        ),
        (
            "What makes a score 'fair' in DD-Ranking's sense?",
            "A gain is credited to the distilled images only after random real images get the same "
            "treatment: the same kind of labels (soft labels from a teacher), augmentation and epochs. "
            "Otherwise the gain of soft labels or a longer protocol is counted as the images'.",
        ),
    ),
    "14": (
        (
            "What does IDC's multi-formation store, and what does a network train on?",
            "It stores ordinary 28x28 images, but never trains on them as they are: each is decoded into "
            "factor^2 smaller images (factor 2: its four 14x14 quarters, each upsampled back to 28x28). The "
            "network trains on the decoded images, so the same bytes hold four training digits instead of "
            "one, each learned through its own quarter of the stored pixels.",
        ),
        (
            "Why can four half-resolution digits teach a network more than one full-resolution digit in the "
            "same bytes?",
            "A digit is recognisable far below 28x28: most of its pixels are background and smooth strokes, "
            "so halving the resolution loses little of what a classifier needs. Four images of a class give "
            "four different examples, more of the class's variety, where one sharp image gives one; with one "
            "stored image per class, variety is what is scarcest.",
        ),
        (
            "Why does IDC train its matching network on real data between matchings, where DC trains it on "
            "the synthetic set?",
            "The synthetic set should produce the gradients that matter while a network learns from real "
            "data. Trained on the synthetic set, the network only visits weights that set already leads to, "
            "and early in distillation those are poor; trained on real images, it visits the weights a real "
            "training run passes through, so the images are matched where it counts.",
        ),
        (
            "Why does IDC augment the real and the synthetic batch with one shared draw before comparing "
            "their gradients?",
            "The matching asks that the synthetic batch give the real batch's gradient under the same "
            "transform (DSA's siamese idea, notebook 06). Two independent draws would add a difference that "
            "no choice of pixels can remove; one draw compares like with like, and the augmentation still "
            "makes the images useful to networks trained with augmentation.",
        ),
        (
            "Is IDC's one stored image per class a fair comparison with DC's one image per class?",
            "It is fair in storage: both keep ten 28x28 images of pixels. It is not the same number of "
            "training images (forty against ten), which is the point of the method; and the scores are only "
            "comparable under one judge. Each paper judges with its own protocol (epochs, augmentation), so "
            "the course prints which judge gave each number.",
        ),
        (
            "Why does back-propagating through MTT's unroll need memory that grows with the number of "
            "student steps, and how does TESLA avoid it?",
            "Autograd keeps every step's activations and weights until the backward pass, so N steps keep N "
            "steps' worth. TESLA first runs the student without a graph to find where it lands and the "
            "gradient p of the loss there, then replays the steps one at a time, pulls p back through each "
            "step to that step's images and frees the step's graph before the next: memory for one step, "
            "whatever N.",
        ),
        (
            "What does TESLA give up for its constant memory, and when does it give up nothing?",
            "Time: a second pass over the N steps. And exactness: it treats each step's weights as fixed, "
            "so it drops how an image also moves the later steps (terms with a Hessian of the loss); its "
            "gradient then differs from the unroll's, by an amount that shrinks with the step size alpha. "
            "With one student step there are no later steps, and it is exactly the unroll's gradient.",
        ),
    ),
    "15": (
        (
            "What are SRe2L's three steps, and why is it called decoupled?",
            "Squeeze: train a teacher on the real data once. Recover: optimise images from noise so the "
            "teacher classifies them and their batch statistics match the ones its BatchNorm layers "
            "remember. Relabel: label each image with the teacher's soft labels. No step trains a network on "
            "the synthetic set inside the loop, unlike DD, DC or MTT: making the images is decoupled from "
            "training on them, so the cost does not grow with an inner training.",
        ),
        (
            "What does the BatchNorm-statistics loss ask of a batch of recovered images, and why is it needed "
            "besides the cross-entropy?",
            "That the per-channel mean and variance of the features entering every BatchNorm layer match the "
            "running mean and variance the layer stored on the real data. Cross-entropy alone is met by "
            "adversarial noise the teacher reads confidently; the statistics pull the batch towards features "
            "that real images produce.",
        ),
        (
            "Why can images that a teacher classifies with near certainty still teach a fresh network badly?",
            "Confidence is a property of one network: the recovered pixels exploit that teacher's features, "
            "and a network trained from scratch on ten such images does not share them. Matching the "
            "teacher's statistics on a batch of ten constrains little of what a digit looks like.",
        ),
        (
            "What does RDED choose, and what does its teacher contribute?",
            "Real patches: it crops real images at random and keeps the crops whose class the teacher finds "
            "most typical (the lowest cross-entropy), then stitches several per stored image and relabels "
            "them. The teacher contributes the scoring and the soft labels; nothing is optimised.",
        ),
        (
            "What does the temperature of the teacher's labels change, and why can a high one hurt a short training?",
            "softmax(logits / T) flattens as T grows: a high T keeps what the teacher thinks of the other "
            "classes but makes the label nearly uniform. A student fitting nearly uniform targets gets a "
            "much smaller gradient towards the right class than from a one-hot label, so within a short "
            "training it learns less.",
        ),
        (
            "How does DD-Ranking separate what a set's images add from what its labels add?",
            "It gives random real images of the same counts the same labels (the same teacher's soft labels) "
            "and the same training, and credits the set only with the difference; a gain over random images "
            "with class labels mixes the images' and the labels' contributions.",
        ),
    ),
}

_ANSWERS: dict[str, str] = {f"{nb}.q{k}": a for nb, qa in QUESTIONS.items() for k, (_, a) in enumerate(qa, 1)}


def ids() -> list[str]:
    """Every question of the course, in notebook order ("00.q1", ...)."""
    return list(_ANSWERS)


def markdown(notebook: str) -> str:
    """The questionnaire cell of `notebook` ("07"): its questions, numbered as `answer` knows them."""
    if notebook not in QUESTIONS:
        raise ValueError(f"no questionnaire for notebook {notebook!r}; notebooks: {', '.join(QUESTIONS)}")
    lines = [
        "## Questionnaire",
        "",
        "Answer each question in your own words before you look at ours: "
        f'`ddlab.exercises.answer("{notebook}.q1")` shows the answer to question 1.',
        "",
    ]
    lines += [f"{k}. {question}" for k, (question, _) in enumerate(QUESTIONS[notebook], 1)]
    return "\n".join(lines)


def answer(id: str) -> str:
    """Print and return our answer to question `id` ("07.q3": notebook 07, question 3)."""
    if id not in _ANSWERS:
        raise ValueError(f"no question {id!r}; questions: {', '.join(_ANSWERS)}")
    print(_ANSWERS[id])
    return _ANSWERS[id]
