export const personsTable = 'persons';
export type PersonRow = {
  id: string;
  national_id: string;
  country: string;
  name: string | null;
  email: string | null;
  mobile: string | null;
  language: string | null;
  created_at: string;
};
