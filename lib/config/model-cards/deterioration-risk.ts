import type { ModelCardInput } from './schema';

/**
 * Model card of `deterioration-risk` 1.0.0: the adult-inpatient deterioration model the platform serves.
 *
 * A card is the record the clinical safety officer signs off. Its metrics are copied from the validation
 * report named in `approval.reference`, never computed here; a new model version gets a new card file,
 * and the profile pins which card each served version has. Nothing in a card may identify a patient.
 */
export const deteriorationRisk_1_0_0: ModelCardInput = {
  modelName: 'deterioration-risk',
  modelVersion: '1.0.0',
  description:
    'Estimates the probability that an adult on a general ward deteriorates (unplanned ICU admission, cardiac arrest or death) within the next 24 hours, from the seven vital-sign parameters of the National Early Warning Score 2 (NEWS2).',
  problemType: 'Binary classification',
  algorithmType: 'Gradient-boosted decision trees (XGBoost), isotonic calibration',
  owner: {
    team: 'Clinical AI platform team',
    email: 'platform-team@example.org',
    creator: 'Clinical data science, deterioration workstream',
  },
  intendedUse: {
    purpose:
      'Decision support for ward nurses and rapid-response teams: flag adult inpatients at raised risk of deterioration so that a clinician reviews them sooner. The score supports, and never replaces, clinical judgement and the NEWS2 escalation protocol.',
    intendedUses: [
      'Adults (18 years and over) on general medical and surgical wards',
      'Scoring each new complete set of vital-sign observations',
      'Prioritising clinician review; low-confidence answers are returned with requiresClinicianReview and the NEWS2 score as fallback',
    ],
    outOfScopeUses: [
      'Patients under 18 years of age',
      'Pregnant or recently post-partum patients (NEWS2 is not validated in pregnancy)',
      'Intensive care, emergency department triage or palliative care settings',
      'Diagnosis, treatment selection, or withdrawing or withholding care',
      'Any decision without clinician review',
    ],
    factorsAffectingPerformance:
      'Incomplete observation sets, SpO2 scale 2 (hypercapnic respiratory failure) recorded as scale 1, oxygen-delivery changes not charted, and case-mix shifts away from the training population (monitored hourly for data drift).',
  },
  risk: {
    rating: 'High',
    explanation:
      'Output influences the timing of clinical review for acutely ill patients; a missed deterioration can cause serious harm. Mitigations: confidence threshold with clinician-review fallback, NEWS2 fallback, drift monitoring, human approval of every new version, guarded blue/green deployment.',
  },
  trainingData: {
    summary:
      'De-identified vital-sign observation sets of adult ward admissions from the pilot sites, 2019-2023, labelled with deterioration outcomes within 24 hours. Direct identifiers removed under the HIPAA Safe Harbor method (45 CFR 164.514(b)(2)) before the data left the clinical environment.',
    datasets: ['training-data/deterioration-risk/2019-2023/ (de-identified observation sets)'],
    observations:
      'Objective: binary log loss. Class imbalance (about 3% positive) handled by weighting; calibration fitted on a separate fold.',
  },
  evaluations: [
    {
      name: 'Temporal hold-out 2024',
      dataset: 'De-identified adult ward observation sets from 2024 at the pilot sites, not used in training',
      observation:
        'Discrimination above NEWS2 on the same observation sets; calibration within tolerance across age bands and sex. Performance lower for patients with chronic hypercapnic respiratory failure.',
      metrics: [
        { name: 'AUROC', value: 0.87, notes: '95% CI 0.86-0.88' },
        { name: 'AUROC of NEWS2 on the same data', value: 0.81, notes: 'reference comparator' },
        { name: 'Sensitivity at the serving threshold', value: 0.78 },
        { name: 'Specificity at the serving threshold', value: 0.83 },
        { name: 'Expected calibration error', value: 0.021 },
      ],
    },
  ],
  ethicalConsiderations:
    'Subgroup performance (age band, sex, ethnicity where recorded) is reviewed at every version; an alert never reduces the level of care set by the NEWS2 protocol.',
  caveatsAndRecommendations:
    'Use only with complete observation sets. Treat answers below the confidence threshold as unscored and follow NEWS2. Re-validate before use at a new site.',
  approval: {
    status: 'Approved',
    approvedBy: 'Clinical Safety Officer, pilot trust',
    approvedOn: '2026-09-30',
    reference: 'models/deterioration-risk/1.0.0/validation-report.pdf; clinical safety case CSC-DR-001',
  },
};
