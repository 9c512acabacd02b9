//! The vocabulary of a card's `[monitoring]` section: drift methods,
//! quality metrics and the task a model declares, by the names cards and
//! the command line write. What each one computes is `drift`'s.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A drift method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    /// Two-sample Kolmogorov–Smirnov p-value.
    Ks,
    /// Chi-square goodness of fit of current counts to baseline shares.
    Chi2,
    /// Two-proportion z-test.
    Z,
    /// Population stability index.
    Psi,
    /// Kullback–Leibler divergence KL(baseline ‖ current).
    Kl,
    /// Jensen–Shannon distance (natural log).
    Js,
    /// Wasserstein-1 distance over the baseline's standard deviation.
    Wasserstein,
    /// Hellinger distance.
    Hellinger,
}

impl Method {
    /// Every method, in documentation order.
    pub const ALL: [Method; 8] = [
        Method::Ks,
        Method::Chi2,
        Method::Z,
        Method::Psi,
        Method::Kl,
        Method::Js,
        Method::Wasserstein,
        Method::Hellinger,
    ];

    /// Returns the method's name as the documentation writes it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Ks => "ks",
            Method::Chi2 => "chi2",
            Method::Z => "z",
            Method::Psi => "psi",
            Method::Kl => "kl",
            Method::Js => "js",
            Method::Wasserstein => "wasserstein",
            Method::Hellinger => "hellinger",
        }
    }

    /// Returns the method of a name, or None.
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// What a model predicts, as far as quality checks are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Classification (quality checks support two classes).
    Classification,
    /// Regression.
    Regression,
}

impl Task {
    /// Returns the task's name in results and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }

    /// Returns the task a `model.toml` `task` names, or None for tasks
    /// quality checks do not know (`ranking`, `forecasting`, …): those
    /// are inferred from the labels.
    pub fn of_model(task: &str) -> Option<Task> {
        match task {
            "classification" | "binary-classification" | "multiclass-classification" => {
                Some(Task::Classification)
            }
            "regression" => Some(Task::Regression),
            _ => None,
        }
    }
}

impl Serialize for Task {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Task {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        [Task::Classification, Task::Regression]
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown task `{name}` (tasks: classification, regression)"
                ))
            })
    }
}

/// A quality metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QualityMetric {
    /// Share of correct labels.
    Accuracy,
    /// TP / (TP + FP).
    Precision,
    /// TP / (TP + FN).
    Recall,
    /// Harmonic mean of precision and recall.
    F1,
    /// Area under the ROC curve.
    Auc,
    /// Mean negative log-likelihood.
    LogLoss,
    /// Mean absolute error.
    Mae,
    /// Root mean squared error.
    Rmse,
    /// Coefficient of determination.
    R2,
}

impl QualityMetric {
    /// Every metric.
    pub const ALL: [QualityMetric; 9] = [
        QualityMetric::Accuracy,
        QualityMetric::Precision,
        QualityMetric::Recall,
        QualityMetric::F1,
        QualityMetric::Auc,
        QualityMetric::LogLoss,
        QualityMetric::Mae,
        QualityMetric::Rmse,
        QualityMetric::R2,
    ];

    /// Returns the metric's name as cards write it.
    pub fn name(self) -> &'static str {
        match self {
            QualityMetric::Accuracy => "accuracy",
            QualityMetric::Precision => "precision",
            QualityMetric::Recall => "recall",
            QualityMetric::F1 => "f1",
            QualityMetric::Auc => "auc",
            QualityMetric::LogLoss => "log_loss",
            QualityMetric::Mae => "mae",
            QualityMetric::Rmse => "rmse",
            QualityMetric::R2 => "r2",
        }
    }

    /// Returns the metric of a name (`roc_auc` is accepted for `auc`).
    pub fn parse(name: &str) -> Option<QualityMetric> {
        if name == "roc_auc" {
            return Some(QualityMetric::Auc);
        }
        QualityMetric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Returns true for regression metrics.
    pub fn is_regression(self) -> bool {
        matches!(
            self,
            QualityMetric::Mae | QualityMetric::Rmse | QualityMetric::R2
        )
    }
}

impl Serialize for Method {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Method::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown drift method `{name}` (methods: auto, {})",
                Method::ALL.map(Method::name).join(", ")
            ))
        })
    }
}

/// `method = "auto"` or a method's name, as `Option<Method>` (`None`:
/// auto).
pub mod method_or_auto {
    use super::*;

    /// Writes `auto` for `None`.
    pub fn serialize<S: Serializer>(method: &Option<Method>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(method.map_or("auto", Method::name))
    }

    /// Reads `auto` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Method>, D::Error> {
        let name = String::deserialize(d)?;
        if name == "auto" {
            return Ok(None);
        }
        Method::deserialize(serde::de::value::StrDeserializer::<D::Error>::new(&name)).map(Some)
    }
}

impl Serialize for QualityMetric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for QualityMetric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        QualityMetric::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown quality metric `{name}` (metrics: {})",
                QualityMetric::ALL.map(QualityMetric::name).join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_task_is_read_by_its_exact_name() {
        assert_eq!(
            Task::of_model("binary-classification"),
            Some(Task::Classification)
        );
        assert_eq!(
            Task::of_model("multiclass-classification"),
            Some(Task::Classification)
        );
        assert_eq!(Task::of_model("regression"), Some(Task::Regression));
        // A name that merely contains a known word is not that task.
        assert_eq!(Task::of_model("not-classification"), None);
        assert_eq!(Task::of_model("regression-free ranking"), None);
        assert_eq!(Task::of_model("forecasting"), None);
    }
}
