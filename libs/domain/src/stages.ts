/** Education stages (学段) a beneficiary can be in when aid is granted. */
export const STAGES = [
  'preschool',
  'primary',
  'junior',
  'senior',
  'secondary_vocational',
  'higher_vocational',
  'undergraduate',
  'postgraduate',
] as const;

export type Stage = (typeof STAGES)[number];

export const isStage = (value: unknown): value is Stage => STAGES.includes(value as Stage);
